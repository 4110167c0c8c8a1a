package dev.portcullis.core.admin;

import dev.portcullis.core.error.StartupRefusedException;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.env.Environment;
import java.util.Optional;

/**
 * Checks the address the HTTP server will bind before it binds: created eagerly with the
 * application context, so a refused address stops core before any socket is opened.
 */
@Context
public final class AdminBindGuard {

    public AdminBindGuard(@Value("${micronaut.server.host:}") String host,
                          @Value("${portcullis.admin.allow-address:}") String allowAddress,
                          Environment environment) {
        if (environment.containsProperties("micronaut.server.netty.listeners")
                || environment.getProperty("micronaut.server.dual-protocol", Boolean.class).orElse(false)
                || environment.getProperty("micronaut.ssl.enabled", Boolean.class).orElse(false)) {
            throw new StartupRefusedException("extra HTTP listeners are configured (micronaut.server.netty.listeners, "
                    + "dual-protocol or ssl); core opens exactly one internal admin socket");
        }
        AdminAddressPolicy.check(host, Optional.of(allowAddress).filter(a -> !a.isBlank()));
    }
}
