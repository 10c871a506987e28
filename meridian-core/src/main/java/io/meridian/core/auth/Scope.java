package io.meridian.core.auth;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a token may do, written as text: {@code read:KEYSPACE}, {@code write:KEYSPACE} (either
 * with {@code *} for every keyspace) and {@code admin}. Writing does not imply reading: a
 * producer that only appends need not read what others wrote. {@code admin} is administration
 * (failovers, moving homes, projections, tokens) and implies no data access.
 */
public final class Scope {
    public static final String ADMIN = "admin";
    private static final Pattern FORM = Pattern.compile("(read|write):(\\*|[a-z][a-z0-9_-]{0,62})");

    private Scope() {
    }

    /** Why {@code scope} is not one, or empty when it is. */
    public static Optional<String> problem(String scope) {
        if (scope == null || !(ADMIN.equals(scope) || FORM.matcher(scope).matches())) {
            return Optional.of("'" + scope + "' is not a scope: expected read:KEYSPACE, write:KEYSPACE (KEYSPACE may be *) or admin");
        }
        return Optional.empty();
    }

    /** What a request needs. */
    public sealed interface Need {
        record Read(String keyspace) implements Need {
        }

        record Write(String keyspace) implements Need {
        }

        record Admin() implements Need {
        }
    }

    public static final Need ADMINISTRATION = new Need.Admin();

    /** The scope that grants {@code need}, as a token would name it (for messages). */
    public static String naming(Need need) {
        return switch (need) {
            case Need.Read r -> "read:" + r.keyspace();
            case Need.Write w -> "write:" + w.keyspace();
            case Need.Admin a -> ADMIN;
        };
    }

    /** Whether {@code scopes} grant {@code need}. */
    public static boolean grants(List<String> scopes, Need need) {
        return switch (need) {
            case Need.Read r -> scopes.contains("read:*") || scopes.contains("read:" + r.keyspace());
            case Need.Write w -> scopes.contains("write:*") || scopes.contains("write:" + w.keyspace());
            case Need.Admin a -> scopes.contains(ADMIN);
        };
    }
}
