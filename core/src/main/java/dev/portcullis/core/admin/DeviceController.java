package dev.portcullis.core.admin;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.identity.Devices;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;
import java.util.Optional;

/**
 * Users' devices: list, rename, disable, enable, delete. Disabling or deleting a device also evicts
 * its key from every location where it has a tunnel session.
 */
@Controller("/api/v1/devices")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class DeviceController {

    private final Devices devices;

    public DeviceController(Devices devices) {
        this.devices = devices;
    }

    @Get
    public List<AdminApi.DeviceView> list(@Nullable @QueryValue String user) {
        return devices.list(Optional.ofNullable(user)).stream().map(AdminViews::device).toList();
    }

    @Put("/{user}/{device}/name")
    public AdminApi.DeviceView rename(HttpRequest<?> http, @PathVariable String user, @PathVariable String device,
                                      @Body AdminApi.DeviceRename request) {
        if (request.name() == null) {
            throw new BadRequestException("name is required");
        }
        return AdminViews.device(devices.rename(user, device, request.name(), AdminViews.actor(http)));
    }

    @Post("/{user}/{device}/disable")
    public AdminApi.DeviceView disable(HttpRequest<?> http, @PathVariable String user, @PathVariable String device) {
        return AdminViews.device(devices.disable(user, device, AdminViews.actor(http)));
    }

    @Post("/{user}/{device}/enable")
    public AdminApi.DeviceView enable(HttpRequest<?> http, @PathVariable String user, @PathVariable String device) {
        return AdminViews.device(devices.enable(user, device, AdminViews.actor(http)));
    }

    @Delete("/{user}/{device}")
    public AdminApi.DeviceView delete(HttpRequest<?> http, @PathVariable String user, @PathVariable String device) {
        return AdminViews.device(devices.delete(user, device, AdminViews.actor(http)));
    }
}
