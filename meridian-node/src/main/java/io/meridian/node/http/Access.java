package io.meridian.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.TokenView;
import io.meridian.core.auth.AccessToken;
import io.meridian.core.auth.Authority;
import io.meridian.core.auth.Scope;
import io.meridian.core.auth.TokenSecret;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.failover.Command;
import io.meridian.core.failover.ControlState;
import io.meridian.node.RegionNode;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.tls.Identity;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may call this node, under {@code auth.tokens: required} ({@link Authority} decides), and
 * the {@code /v1/tokens} resource that makes, lists and revokes access tokens through the control
 * plane. While tokens are not required, everybody may do everything and {@code /v1/tokens} says so.
 *
 * <pre>
 * GET    /v1/tokens          every token, revoked ones too (never a secret)                 admin
 * POST   /v1/tokens          {"name": N, "scopes": [..], "ttl_seconds": S}: 201 with the secret, once   admin
 * DELETE /v1/tokens/{id}     revoke                                                          admin
 * </pre>
 */
final class Access {
    static final String TOKENS = "/v1/tokens";
    /** Longest token body accepted: a name and scopes, never near this. */
    private static final long MAX_BODY = 64 * 1024;
    private static final int MAX_SCOPES = 256;

    private final RegionNode node;
    private final MeridianConfig config;
    private final Authority authority;
    private final SecureRandom random = new SecureRandom();

    Access(RegionNode node, MeridianConfig config) {
        this.node = node;
        this.config = config;
        this.authority = config.auth().tokensRequired() ? new Authority(new HashSet<>(config.auth().admins())) : null;
    }

    boolean required() {
        return authority != null;
    }

    /** Paths anyone may ask for, tokens or not: liveness and readiness for load balancers, metrics, the console's files. */
    static boolean open(String path) {
        return path.equals("/v1/health") || path.equals("/v1/health/ready") || path.equals("/metrics")
                || io.meridian.node.console.Console.serves(path);
    }

    /** Knows the caller of {@code ex} or refuses it (401). Nothing to do while tokens are not required. */
    void identify(Exchange ex) {
        if (authority == null) {
            return;
        }
        Optional<Identity> shown = node.tls().shown(ex.peerCertificates());
        String region = shown.filter(id -> id.kind() == Identity.Kind.REGION).map(Identity::name).orElse(null);
        String client = shown.filter(id -> id.kind() == Identity.Kind.CLIENT).map(Identity::name).orElse(null);
        ControlState state = control().state();
        switch (authority.identify(region, client, ex.header("Authorization"), state::token, System.currentTimeMillis())) {
            case Authority.Identified.Known k -> ex.caller(k.caller());
            case Authority.Identified.Unknown u -> {
                ex.header("WWW-Authenticate", "Bearer realm=\"meridian\"");
                throw new MeridianException(ProblemType.UNAUTHENTICATED, u.why());
            }
        }
    }

    /** Refuses (403) a caller whose token does not grant {@code need}. */
    void authorize(Exchange ex, Scope.Need need) {
        if (authority == null) {
            return;
        }
        Optional<String> refusal = ex.caller().refusal(need);
        if (refusal.isPresent()) {
            throw new MeridianException(ProblemType.FORBIDDEN, refusal.get(), Map.of("needs", Scope.naming(need)));
        }
    }

    private FailoverAgent control() {
        FailoverAgent f = node.failover();
        if (f == null) {
            throw new IllegalStateException("auth.tokens: required without a control plane (the configuration loader refuses it)");
        }
        return f;
    }

    /** {@code /v1/tokens} and {@code /v1/tokens/{id}}. */
    void tokens(Exchange ex, String rest) throws IOException {
        if (authority == null) {
            throw new MeridianException(ProblemType.NOT_IMPLEMENTED, "this deployment does not use access tokens: anyone who"
                    + " reaches it may do anything. Set auth: {tokens: required} (with TLS) to require them; see docs/security.md");
        }
        authorize(ex, Scope.ADMINISTRATION);
        long now = System.currentTimeMillis();
        if (rest.isEmpty()) {
            if ("POST".equals(ex.method())) {
                create(ex, now);
                return;
            }
            ApiHandler.allow(ex, List.of("GET", "HEAD", "POST"));
            ex.sendJson(200, Map.of("items", control().state().tokens().stream().map(t -> TokenView.of(t, now, null)).toList()));
            return;
        }
        String id = rest.substring(1);
        AccessToken token = control().state().token(id).orElseThrow(() -> new MeridianException(ProblemType.UNKNOWN_TOKEN,
                "no token with id '" + id + "'; GET /v1/tokens lists them", Map.of("id", id)));
        if ("DELETE".equals(ex.method())) {
            String by = ex.caller().who() + " via " + node.region();
            propose(new Command.RevokeToken(id, by, now));
            ex.sendJson(200, TokenView.of(token.withRevocation(by, now), now, null)); // as applied (this region may apply it a moment later)
            return;
        }
        ApiHandler.allow(ex, List.of("GET", "HEAD", "DELETE"));
        ex.sendJson(200, TokenView.of(token, now, null));
    }

    private void create(Exchange ex, long now) throws IOException {
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(ex.body(MAX_BODY, "tokens"));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw invalid("the body is not JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw invalid("expected {\"name\": NAME, \"scopes\": [\"read:KEYSPACE\", \"write:KEYSPACE\", \"admin\", ...], \"ttl_seconds\": N}");
        }
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!List.of("name", "scopes", "ttl_seconds").contains(f)) {
                throw invalid("unknown field '" + f + "'; expected name, scopes and ttl_seconds");
            }
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || !Identity.NAME.matcher(name.asText()).matches()) {
            throw invalid("name: expected lower-case letters, digits and '-', starting with a letter (e.g. shop-backend)");
        }
        JsonNode scopes = body.get("scopes");
        if (scopes == null || !scopes.isArray() || scopes.isEmpty() || scopes.size() > MAX_SCOPES) {
            throw invalid("scopes: expected a list of 1 to " + MAX_SCOPES + " scopes, e.g. [\"read:carts\", \"write:carts\"]");
        }
        List<String> granted = new ArrayList<>();
        for (JsonNode s : scopes) {
            String text = s.isTextual() ? s.asText() : s.toString();
            Optional<String> problem = Scope.problem(text);
            if (problem.isPresent()) {
                throw invalid("scopes: " + problem.get());
            }
            String keyspace = text.contains(":") ? text.substring(text.indexOf(':') + 1) : "*";
            if (!keyspace.equals("*") && config.keyspace(keyspace).isEmpty()) {
                throw invalid("scopes: no keyspace '" + keyspace + "' in this deployment");
            }
            if (!granted.contains(text)) {
                granted.add(text);
            }
        }
        JsonNode ttl = body.get("ttl_seconds");
        long expires = 0;
        if (ttl != null && !ttl.isNull()) {
            if (!ttl.canConvertToLong() || !ttl.isIntegralNumber() || ttl.asLong() < 1 || ttl.asLong() > 100L * 365 * 86_400) {
                throw invalid("ttl_seconds: expected a whole number of seconds from 1 to 100 years, or null for a token that does not expire");
            }
            expires = now + ttl.asLong() * 1000;
        }
        TokenSecret secret = TokenSecret.generate(random);
        AccessToken token = new AccessToken(secret.id(), name.asText(), granted, secret.sha256(), now,
                ex.caller().who() + " via " + node.region(), expires, 0, null);
        propose(new Command.IssueToken(token, now));
        ex.header("Location", TOKENS + "/" + token.id());
        ex.sendJson(201, TokenView.of(token, now, secret.text()));
    }

    /**
     * Proposes {@code command}, again while the control plane has no leader to take it (just after
     * start-up, or while leadership moves) for up to {@link #PATIENCE}: the same token command twice
     * is applied once, so a proposal that was committed but not answered is safe to repeat.
     */
    private void propose(Command command) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        for (;;) {
            try {
                control().operate(command, ProblemType.TOKEN_REFUSED);
                return;
            } catch (MeridianException e) {
                if (e.type() != ProblemType.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MeridianException(ProblemType.UNAVAILABLE, "interrupted waiting for the control plane");
            }
        }
    }

    private static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(10);

    private static MeridianException invalid(String detail) {
        return new MeridianException(ProblemType.MALFORMED_REQUEST, detail);
    }
}
