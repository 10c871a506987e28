package io.meridian.core.auth;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Who is calling, and whether they may do what a request needs. A caller is known by the
 * certificate its connection showed (a region of the deployment may do anything: it is the
 * deployment; so may a client named among {@code admins}) or else by the bearer token it presents,
 * whose scopes must grant the need. Nothing here reads a clock: the caller passes the time tokens
 * expire against.
 */
public final class Authority {
    private final Set<String> admins;

    /** @param admins the client certificates (by name) that may do anything */
    public Authority(Set<String> admins) {
        this.admins = Set.copyOf(admins);
    }

    /** Someone known. */
    public sealed interface Caller {
        /** For messages and logs: "region us-east", "client ops", "token 'shop'". */
        String who();

        /** Why this caller may not do what {@code need} names, or empty when it may. */
        default Optional<String> refusal(Scope.Need need) {
            return Optional.empty();
        }

        record Region(String name) implements Caller {
            public String who() {
                return "region " + name;
            }
        }

        record Admin(String client) implements Caller {
            public String who() {
                return "client " + client;
            }
        }

        record Bearer(AccessToken token) implements Caller {
            public String who() {
                return "token '" + token.name() + "'";
            }

            @Override
            public Optional<String> refusal(Scope.Need need) {
                return Scope.grants(token.scopes(), need) ? Optional.empty()
                        : Optional.of(who() + " has scopes " + token.scopes() + "; this needs " + Scope.naming(need));
            }
        }
    }

    /** A caller, or why nobody is known. */
    public sealed interface Identified {
        record Known(Caller caller) implements Identified {
        }

        record Unknown(String why) implements Identified {
        }
    }

    /**
     * @param region        the region its connection's certificate names, or null
     * @param client        the client its connection's certificate names, or null
     * @param authorization its {@code Authorization} header, or null
     * @param tokens        the tokens every region knows, by id
     */
    public Identified identify(String region, String client, String authorization,
                               Function<String, Optional<AccessToken>> tokens, long nowMillis) {
        if (region != null) {
            return new Identified.Known(new Caller.Region(region));
        }
        if (client != null && admins.contains(client)) {
            return new Identified.Known(new Caller.Admin(client));
        }
        if (authorization == null) {
            return new Identified.Unknown(client == null
                    ? "this node requires an access token: send Authorization: Bearer mrd_… (meridian tokens create makes one)"
                    : "client " + client + "'s certificate is not an administrator's; send Authorization: Bearer mrd_… as well");
        }
        Optional<TokenSecret> presented = bearer(authorization).flatMap(TokenSecret::parse);
        if (presented.isEmpty()) {
            return new Identified.Unknown("the Authorization header is not 'Bearer mrd_…' with a token made by meridian tokens create");
        }
        Optional<AccessToken> known = tokens.apply(presented.get().id()).filter(presented.get()::matches);
        if (known.isEmpty()) {
            return new Identified.Unknown("token " + presented.get() + " is not known to this deployment");
        }
        AccessToken token = known.get();
        if (token.revoked()) {
            return new Identified.Unknown("token '" + token.name() + "' (" + token.id() + ") was revoked by " + token.revokedBy());
        }
        if (token.expired(nowMillis)) {
            return new Identified.Unknown("token '" + token.name() + "' (" + token.id() + ") has expired");
        }
        return new Identified.Known(new Caller.Bearer(token));
    }

    private static Optional<String> bearer(String authorization) {
        String a = authorization.strip();
        int space = a.indexOf(' ');
        if (space < 0 || !a.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Optional.empty();
        }
        return Optional.of(a.substring(space + 1).strip());
    }
}
