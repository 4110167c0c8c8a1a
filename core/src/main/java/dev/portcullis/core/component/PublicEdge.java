package dev.portcullis.core.component;

import java.util.Optional;

/**
 * An edge-proxy as the public side of core sees it: where users reach it and the pin of the TLS
 * chain it presents there.
 *
 * @param componentId  core-assigned id
 * @param name         the admin's name for it
 * @param adopted      it joined (core issued its certificate)
 * @param publicOrigin {@code https://host[:port]} as the admin set it, if set
 * @param pin          base64url SHA-256 of its public chain's topmost certificate, as last reported, if ever
 */
public record PublicEdge(String componentId, String name, boolean adopted, Optional<String> publicOrigin, Optional<String> pin) {
}
