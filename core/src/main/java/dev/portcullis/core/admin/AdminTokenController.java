package dev.portcullis.core.admin;

import dev.portcullis.core.error.BadRequestException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

/** Creating more admin tokens (one per person or automation, so that the logs say who did what). */
@Controller("/api/v1/admin-tokens")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class AdminTokenController {

    private final AdminTokens tokens;

    public AdminTokenController(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @Post
    public HttpResponse<AdminApi.AdminTokenIssued> create(HttpRequest<?> http, @Body AdminApi.NewAdminToken request) {
        if (request.name() == null) {
            throw new BadRequestException("name is required");
        }
        AdminToken token = tokens.create(request.name(), AdminViews.actor(http));
        return HttpResponse.created(new AdminApi.AdminTokenIssued(token.id(), token.name(), token.reveal()));
    }
}
