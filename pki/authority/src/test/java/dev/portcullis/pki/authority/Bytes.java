package dev.portcullis.pki.authority;

/** Searching for one byte string inside another, for tests that check a secret does not leak. */
final class Bytes {

    private Bytes() {
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int start = 0; start <= haystack.length - needle.length; start++) {
            for (int i = 0; i < needle.length; i++) {
                if (haystack[start + i] != needle[i]) {
                    continue outer;
                }
            }
            return start;
        }
        return -1;
    }
}
