package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meridian tokens create|list|revoke}: access tokens, kept (hashed) by the control plane
 * of a deployment with {@code auth.tokens: required}. Each talks to one node over
 * {@code /v1/tokens}, as an administrator (an {@code auth.admins} client certificate, or a token
 * with the {@code admin} scope).
 */
@Command(name = "tokens", description = "Access tokens for a deployment with auth.tokens: required: make one (its secret is shown"
        + " once), list them, revoke one.", subcommands = {TokensCommand.Create.class, TokensCommand.ListTokens.class,
        TokensCommand.Revoke.class})
final class TokensCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokensCommand() {
    }

    @Command(name = "create", description = "Make an access token; its secret is printed once and stored nowhere.")
    static final class Create extends FailoverCommand.Action {
        @Parameters(paramLabel = "NAME", description = "what the token is for, e.g. shop-backend (lower-case letters, digits, -)")
        String name;

        @Option(names = "--read", paramLabel = "KEYSPACE", description = "may read KEYSPACE (* for every keyspace); repeatable")
        List<String> read = new ArrayList<>();

        @Option(names = "--write", paramLabel = "KEYSPACE", description = "may write KEYSPACE (* for every keyspace); repeatable")
        List<String> write = new ArrayList<>();

        @Option(names = "--admin", description = "may administer: failovers, moving homes, projections, tokens")
        boolean admin;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "expires after this long, e.g. 90d, 12h, 30m (default: never)")
        String ttl;

        @Override
        HttpRequest request(String base) {
            List<String> scopes = new ArrayList<>();
            read.forEach(k -> scopes.add("read:" + k));
            write.forEach(k -> scopes.add("write:" + k));
            if (admin) {
                scopes.add("admin");
            }
            if (scopes.isEmpty()) {
                throw new IllegalArgumentException("say what the token may do: --read KEYSPACE, --write KEYSPACE and/or --admin");
            }
            var body = JSON.createObjectNode().put("name", name);
            scopes.forEach(body.putArray("scopes")::add);
            if (ttl != null) {
                body.put("ttl_seconds", seconds(ttl));
            }
            return HttpRequest.newBuilder(URI.create(base + "/v1/tokens")).timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        }

        @Override
        void print(JsonNode t) {
            System.out.println(t.path("token").asText());
            System.err.printf("token '%s' (%s) may %s%s; keep the line above: it is shown only once%n", t.path("name").asText(),
                    t.path("id").asText(), scopes(t), t.path("expires_at").isTextual() ? ", until " + t.path("expires_at").asText() : "");
        }

        static long seconds(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-9][0-9]{0,6})([dhms])").matcher(text.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("--ttl '" + text + "' is not a duration such as 90d, 12h, 30m or 45s");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "d" -> n * 86_400;
                case "h" -> n * 3_600;
                case "m" -> n * 60;
                default -> n;
            };
        }
    }

    @Command(name = "list", description = "Every access token: id, name, scopes, status (live, expired, revoked), who made it.")
    static final class ListTokens extends FailoverCommand.Action {
        @Override
        HttpRequest request(String base) {
            return HttpRequest.newBuilder(URI.create(base + "/v1/tokens")).timeout(Duration.ofSeconds(10)).GET().build();
        }

        @Override
        void print(JsonNode body) {
            JsonNode items = body.path("items");
            if (items.isEmpty()) {
                System.out.println("no access tokens; make one with: meridian tokens create NAME --read KEYSPACE");
                return;
            }
            System.out.printf("%-16s  %-20s  %-8s  %-24s  %s%n", "ID", "NAME", "STATUS", "CREATED", "SCOPES");
            for (JsonNode t : items) {
                System.out.printf("%-16s  %-20s  %-8s  %-24s  %s%n", t.path("id").asText(), t.path("name").asText(),
                        t.path("status").asText(), t.path("created_at").asText(), scopes(t));
            }
        }
    }

    @Command(name = "revoke", description = "Revoke an access token: no region accepts it once the control plane has it.")
    static final class Revoke extends FailoverCommand.Action {
        @Parameters(paramLabel = "ID", description = "the token's id, as `tokens list` shows it")
        String id;

        @Override
        HttpRequest request(String base) {
            return HttpRequest.newBuilder(URI.create(base + "/v1/tokens/" + java.net.URLEncoder.encode(id,
                    java.nio.charset.StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(20)).DELETE().build();
        }

        @Override
        void print(JsonNode t) {
            System.out.printf("token '%s' (%s) revoked by %s%n", t.path("name").asText(), t.path("id").asText(),
                    t.path("revoked_by").asText());
        }
    }

    private static String scopes(JsonNode t) {
        List<String> s = new ArrayList<>();
        t.path("scopes").forEach(x -> s.add(x.asText()));
        return String.join(" ", s);
    }
}
