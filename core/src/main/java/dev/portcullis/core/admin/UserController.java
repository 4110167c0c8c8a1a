package dev.portcullis.core.admin;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.identity.IdentityNames;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.invite.Invites;
import dev.portcullis.core.invite.IssuedInvite;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Users: create, list, show, disable, enable, delete, and invite (the answer to an invite is the
 * only place its link, and so its token, ever appears).
 */
@Controller("/api/v1/users")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class UserController {

    private final Users users;
    private final Invites invites;

    public UserController(Users users, Invites invites) {
        this.users = users;
        this.invites = invites;
    }

    @Post
    public HttpResponse<AdminApi.UserView> create(HttpRequest<?> http, @Body AdminApi.NewUser request) {
        if (request.name() == null || request.email() == null) {
            throw new BadRequestException("name and email are required");
        }
        return HttpResponse.created(AdminViews.user(users.create(new Users.NewUser(request.name(), request.email(),
                Optional.ofNullable(request.displayName()), request.groups() == null ? List.of() : request.groups()),
                AdminViews.actor(http))));
    }

    @Get
    public List<AdminApi.UserView> list() {
        return users.list().stream().map(AdminViews::user).toList();
    }

    @Get("/{name}")
    public AdminApi.UserDetails show(@PathVariable String name) {
        return AdminViews.details(users.details(name));
    }

    /** Disables the user: pending invites revoked, enrollment sessions ended, every device's tunnel sessions evicted. */
    @Post("/{name}/disable")
    public AdminApi.UserView disable(HttpRequest<?> http, @PathVariable String name) {
        return AdminViews.user(users.disable(name, AdminViews.actor(http)));
    }

    @Post("/{name}/enable")
    public AdminApi.UserView enable(HttpRequest<?> http, @PathVariable String name) {
        return AdminViews.user(users.enable(name, AdminViews.actor(http)));
    }

    /** Lifts the user's tunnel-MFA lockout (failed second factors): {@code tunnel.mfa.unlocked}. */
    @Post("/{name}/unlock")
    public AdminApi.UserUnlocked unlock(HttpRequest<?> http, @PathVariable String name) {
        Users.Unlocked unlocked = users.unlock(name, AdminViews.actor(http));
        return new AdminApi.UserUnlocked(unlocked.user().name(), unlocked.hadFailures(), unlocked.wasLocked());
    }

    /** Deletes the user, their devices (and addresses), factors, invites and sessions; evicts their tunnel sessions. */
    @Delete("/{name}")
    public AdminApi.UserView delete(HttpRequest<?> http, @PathVariable String name) {
        return AdminViews.user(users.delete(name, AdminViews.actor(http)));
    }

    @Post("/{name}/invites")
    public HttpResponse<AdminApi.InviteIssued> invite(HttpRequest<?> http, @PathVariable String name,
                                                      @Body AdminApi.NewInvite request) {
        if (!IdentityNames.isValidName(name)) {
            throw IdentityNames.noUser(name);
        }
        Optional<Duration> lifetime = Optional.ofNullable(request.expiresInSeconds()).map(Duration::ofSeconds);
        IssuedInvite invite = invites.issue(name, lifetime, Optional.ofNullable(request.via()), AdminViews.actor(http));
        return HttpResponse.created(new AdminApi.InviteIssued(invite.user(), invite.link().toLinkString(),
                invite.expiresAt().toString(), invite.edgeProxy()));
    }
}
