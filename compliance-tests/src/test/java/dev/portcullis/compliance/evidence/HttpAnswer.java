package dev.portcullis.compliance.evidence;

import java.util.List;
import java.util.Map;

/** An HTTP answer as a check sees it: status, headers (lower-case names) and the body as text. */
public record HttpAnswer(int status, Map<String, List<String>> headers, String body) {

    public HttpAnswer {
        headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
        return status + " " + body;
    }
}
