package dev.portcullis.core.location;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.NotFoundException;
import java.util.regex.Pattern;

/** What a location may be called: short, printable, safe in logs, URLs (percent-encoded) and shell commands. */
public final class LocationName {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}");

    private LocationName() {
    }

    public static boolean isValid(String location) {
        return location != null && NAME.matcher(location).matches();
    }

    public static String valid(String location) {
        if (!isValid(location)) {
            throw new BadRequestException("location must be 1 to 63 letters, digits, spaces, '.', '_' or '-'");
        }
        return location;
    }

    /** "No such location", quoting the name only if it is a valid one (never echo arbitrary input). */
    public static NotFoundException notFound(String location) {
        return new NotFoundException(isValid(location)
                ? "no location '" + location + "' (no gateway serves it and it has no policy)" : "no such location");
    }
}
