package io.meridian.core.replication;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a client carries for read-your-writes: for each origin region, the highest sequence of
 * the writes it has made or seen there. On the wire ({@code Meridian-Session}) it is plain text,
 * {@code eu-west=17,us-east=42}, so clients in any language can keep and merge it.
 */
public record SessionToken(VersionVector writes) {
    public static final SessionToken EMPTY = new SessionToken(VersionVector.EMPTY);
    /** Bounds what a node parses: far more regions than any deployment has. */
    public static final int MAX_ORIGINS = 64;
    private static final Pattern PAIR = Pattern.compile("([a-z][a-z0-9-]{0,62})=([1-9][0-9]{0,18})");

    public SessionToken with(Stamp write) {
        return new SessionToken(writes.with(write.origin(), write.seq()));
    }

    public SessionToken merge(SessionToken other) {
        return new SessionToken(writes.merge(other.writes));
    }

    /** True when a replica with these watermarks has applied every write the token covers. */
    public boolean satisfiedBy(VersionVector watermarks) {
        return watermarks.covers(writes);
    }

    public String format() {
        StringBuilder out = new StringBuilder();
        writes.seqs().forEach((origin, seq) -> out.append(out.isEmpty() ? "" : ",").append(origin).append('=').append(seq));
        return out.toString();
    }

    /** @throws MeridianException {@code MALFORMED_HEADER} naming the value and the expected form */
    public static SessionToken parse(String header, String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return EMPTY;
        }
        String[] pairs = trimmed.split(",", -1);
        Map<String, Long> seqs = new TreeMap<>();
        for (String pair : pairs) {
            var m = PAIR.matcher(pair.strip());
            if (pairs.length > MAX_ORIGINS || !m.matches()) {
                throw new MeridianException(ProblemType.MALFORMED_HEADER, header + ": '" + text
                        + "' is not a session token; expected region=sequence pairs separated by commas, e.g. us-east=42,eu-west=7",
                        Map.of("header", header, "value", text));
            }
            seqs.merge(m.group(1), Long.parseLong(m.group(2)), Math::max);
        }
        return new SessionToken(new VersionVector(seqs));
    }
}
