package dev.portcullis.core.session;

import dev.portcullis.core.admin.AdminApi;
import dev.portcullis.core.admin.AdminAuthFilter;
import dev.portcullis.core.admin.AdminCaller;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.identity.IdentityNames;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.LocationName;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Admin side of tunnel sessions: list the live ones (optionally of one location and/or one user)
 * and revoke one. Behind {@link AdminAuthFilter} like every admin route.
 */
@Controller("/api/v1/sessions")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class SessionController {

    static final String NO_SESSION = "No live session with that id.";

    private final Sessions sessions;
    private final Users users;

    public SessionController(Sessions sessions, Users users) {
        this.sessions = sessions;
        this.users = users;
    }

    /** Newest first. {@code user} is a login; an unknown location or user is a 404 that names it. */
    @Get
    public List<AdminApi.SessionView> list(@Nullable @QueryValue String location, @Nullable @QueryValue String user) {
        Optional<String> where = Optional.ofNullable(location).filter(l -> !l.isBlank()).map(l -> {
            if (!LocationName.isValid(l)) {
                throw new BadRequestException("location must be a location name (1 to 63 letters, digits, spaces, '.', '_' "
                        + "or '-')");
            }
            return l;
        });
        Optional<UUID> who = Optional.ofNullable(user).filter(u -> !u.isBlank())
                .map(u -> UUID.fromString(users.byName(u).map(User::id).orElseThrow(() -> IdentityNames.noUser(u))));
        return sessions.list(where, who).stream().map(SessionController::view).toList();
    }

    /** Evicts the session now (reason revoked); 404 if it is not a live session. */
    @Delete("/{id}")
    public AdminApi.SessionView revoke(HttpRequest<?> http, @PathVariable String id) {
        Sessions.SessionView session = sessions.find(id).orElseThrow(() -> new NotFoundException(NO_SESSION));
        if (!sessions.revoke(id, Optional.empty(), actor(http))) {
            throw new NotFoundException(NO_SESSION);
        }
        return view(session);
    }

    static AdminApi.SessionView view(Sessions.SessionView s) {
        return new AdminApi.SessionView(s.id(), s.location(), s.user(), s.device(), s.method(), s.startedAt().toString(),
                s.notAfter().toString(), s.idleTimeout().toSeconds(), s.lastHandshake().map(Instant::toString).orElse(null),
                s.endpoint().orElse(null));
    }

    /** The admin token's name and the caller's address, as every admin change records them. */
    static Actor actor(HttpRequest<?> request) {
        String caller = request.getAttribute(AdminAuthFilter.CALLER_ATTRIBUTE, AdminCaller.class)
                .map(AdminCaller::name).orElse("unknown");
        return Actor.admin(caller, request.getRemoteAddress().getAddress().getHostAddress());
    }
}
