package io.meridian.bench;

import io.meridian.core.auth.AccessToken;
import io.meridian.core.auth.Authority;
import io.meridian.core.auth.Scope;
import io.meridian.core.auth.TokenSecret;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an access token costs one API request under {@code auth.tokens: required}: parsing the
 * {@code Authorization} header, finding the token among {@code tokens} others, hashing its secret
 * (SHA-256) and comparing in constant time, then checking the scope, as {@code Access} does per
 * request. A certificate-only caller (a region, an administrator) skips the hash.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AuthorityBench {
    /** How many tokens the deployment holds. */
    @Param({"10", "10000"})
    public int tokens;

    private final Authority authority = new Authority(Set.of("ops"));
    private final Map<String, AccessToken> known = new HashMap<>();
    private String header;
    private final Scope.Need need = new Scope.Need.Write("carts");

    @Setup
    public void make() {
        SecureRandom random = new SecureRandom();
        TokenSecret last = null;
        for (int i = 0; i < tokens; i++) {
            last = TokenSecret.generate(random);
            known.put(last.id(), new AccessToken(last.id(), "t" + i, List.of("read:carts", "write:carts"), last.sha256(), 0, "bench",
                    0, 0, null));
        }
        header = "Bearer " + last.text();
    }

    private Optional<AccessToken> lookup(String id) {
        return Optional.ofNullable(known.get(id));
    }

    @Benchmark
    public Object bearerToken() {
        Authority.Identified i = authority.identify(null, null, header, this::lookup, 1_000);
        return ((Authority.Identified.Known) i).caller().refusal(need);
    }

    @Benchmark
    public Object adminCertificate() {
        Authority.Identified i = authority.identify(null, "ops", null, this::lookup, 1_000);
        return ((Authority.Identified.Known) i).caller().refusal(need);
    }
}
