package dev.portcullis.core.link;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import javax.net.ssl.SSLException;

/** Turns a failed RPC into one line an operator can act on (no stack trace, no peer-supplied text beyond the status). */
final class RpcFailures {

    private RpcFailures() {
    }

    static String describe(Throwable failure) {
        Status status = Status.fromThrowable(failure);
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException || cause instanceof java.security.cert.CertificateException) {
                return "TLS handshake failed: " + cause.getMessage();
            }
            if (cause instanceof java.net.ConnectException) {
                return "cannot connect: " + cause.getMessage();
            }
        }
        String description = status.getDescription();
        if (description != null && description.length() > 200) {
            description = description.substring(0, 200) + "…";
        }
        return status.getCode() + (description == null ? "" : ": " + description);
    }
}
