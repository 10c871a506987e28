package io.meridian.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who is known and what they may do, decided without a clock or a network. */
class AuthorityTest {
    private final Authority authority = new Authority(Set.of("ops"));
    private final Map<String, AccessToken> tokens = new HashMap<>();
    private final Random random = new Random(7);

    private TokenSecret issue(String name, long expiresAt, String... scopes) {
        TokenSecret s = TokenSecret.generate(random);
        tokens.put(s.id(), new AccessToken(s.id(), name, List.of(scopes), s.sha256(), 1_000, "client ops", expiresAt, 0, null));
        return s;
    }

    private Authority.Identified identify(String region, String client, String authorization, long now) {
        return authority.identify(region, client, authorization, id -> Optional.ofNullable(tokens.get(id)), now);
    }

    private Authority.Caller known(String authorization) {
        Authority.Identified i = identify(null, null, authorization, 2_000);
        assertThat(i).isInstanceOf(Authority.Identified.Known.class);
        return ((Authority.Identified.Known) i).caller();
    }

    private String unknown(String region, String client, String authorization, long now) {
        Authority.Identified i = identify(region, client, authorization, now);
        assertThat(i).isInstanceOf(Authority.Identified.Unknown.class);
        return ((Authority.Identified.Unknown) i).why();
    }

    @Test
    void regionsAndAdministratorsByCertificateMayDoAnything() {
        for (Authority.Identified i : List.of(identify("eu-west", null, null, 0), identify(null, "ops", null, 0),
                identify(null, "ops", "Bearer nonsense", 0))) {
            Authority.Caller c = ((Authority.Identified.Known) i).caller();
            assertThat(c.refusal(Scope.ADMINISTRATION)).isEmpty();
            assertThat(c.refusal(new Scope.Need.Write("accounts"))).isEmpty();
        }
        assertThat(known("Bearer " + issue("x", 0, "read:a").text()).who()).isEqualTo("token 'x'");
    }

    @Test
    void withoutAValidTokenNobodyIsKnown() {
        TokenSecret good = issue("shop", 0, "read:carts");
        assertThat(unknown(null, null, null, 0)).contains("requires an access token");
        assertThat(unknown(null, "intern", null, 0)).contains("client intern's certificate is not an administrator's");
        assertThat(unknown(null, null, "Basic dXNlcjpwdw==", 0)).contains("not 'Bearer mrd_");
        assertThat(unknown(null, null, "Bearer " + good.text().substring(1), 0)).contains("not 'Bearer mrd_");
        // The right id with another secret: not known, and the message never echoes a secret.
        TokenSecret forged = new TokenSecret(good.id(), TokenSecret.generate(random).secret());
        String why = unknown(null, null, "Bearer " + forged.text(), 0);
        assertThat(why).contains("is not known").doesNotContain(forged.secret()).doesNotContain(good.secret());
        assertThat(unknown(null, null, "Bearer " + TokenSecret.generate(random).text(), 0)).contains("is not known");
        // Scheme names are case-insensitive (RFC 9110).
        assertThat(known("bearer " + good.text()).who()).isEqualTo("token 'shop'");
    }

    @Test
    void revokedAndExpiredTokensAreRefused() {
        TokenSecret brief = issue("brief", 5_000, "read:carts");
        assertThat(identify(null, null, "Bearer " + brief.text(), 4_999)).isInstanceOf(Authority.Identified.Known.class);
        assertThat(unknown(null, null, "Bearer " + brief.text(), 5_000)).contains("has expired");
        TokenSecret gone = issue("gone", 0, "read:carts");
        tokens.put(gone.id(), tokens.get(gone.id()).withRevocation("client ops", 1_500));
        assertThat(unknown(null, null, "Bearer " + gone.text(), 2_000)).contains("was revoked by client ops");
    }

    @Test
    void scopesGrantExactlyWhatTheyName() {
        Authority.Caller reader = known("Bearer " + issue("reader", 0, "read:carts").text());
        assertThat(reader.refusal(new Scope.Need.Read("carts"))).isEmpty();
        assertThat(reader.refusal(new Scope.Need.Write("carts"))).get().asString().contains("needs write:carts");
        assertThat(reader.refusal(new Scope.Need.Read("accounts"))).isPresent();
        assertThat(reader.refusal(Scope.ADMINISTRATION)).get().asString().contains("needs admin");

        Authority.Caller producer = known("Bearer " + issue("producer", 0, "write:audit").text());
        assertThat(producer.refusal(new Scope.Need.Write("audit"))).isEmpty();
        assertThat(producer.refusal(new Scope.Need.Read("audit"))).as("writing does not imply reading").isPresent();

        Authority.Caller everything = known("Bearer " + issue("all", 0, "read:*", "write:*").text());
        assertThat(everything.refusal(new Scope.Need.Write("accounts"))).isEmpty();
        assertThat(everything.refusal(Scope.ADMINISTRATION)).as("data scopes do not administer").isPresent();

        Authority.Caller admin = known("Bearer " + issue("admin", 0, "admin").text());
        assertThat(admin.refusal(Scope.ADMINISTRATION)).isEmpty();
        assertThat(admin.refusal(new Scope.Need.Read("carts"))).as("administering does not read data").isPresent();
    }

    @Test
    void scopesAreCheckedForForm() {
        for (String ok : List.of("read:carts", "write:*", "admin", "read:user_profiles")) {
            assertThat(Scope.problem(ok)).as(ok).isEmpty();
        }
        for (String bad : List.of("", "read", "read:", "write:Carts", "delete:carts", "admin:carts", "read:*x", "read:a b")) {
            assertThat(Scope.problem(bad)).as(bad).isPresent();
        }
        assertThat(Scope.problem(null)).isPresent();
    }
}
