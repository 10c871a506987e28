package io.meridian.core.failover;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a region tells its peers on every heartbeat and heartbeat answer: the regions its failure
 * detector suspects, and how far its copy of each Raft group's log reaches. A survivor starts an
 * election for a group only when a majority of the group suspects its leader
 * ({@link ControlPlacement#majorityAgrees}), and only the survivor holding the longest log among
 * those that agree ({@link ControlPlacement#campaigner}): Raft refuses a candidate whose log is
 * shorter than a voter's, and a refused forced election only raises the term.
 *
 * <p>Headers: {@code Meridian-Suspects: eu-west,us-east} and
 * {@code Meridian-Raft-Logs: _control=3:412,accounts=1:29} (group = term:index of the last entry).
 *
 * @param suspects the regions the sender suspects
 * @param logs     per Raft group the sender hosts, the term and index of its last log entry
 */
public record PeerWord(Set<String> suspects, Map<String, LogPosition> logs) {
    public PeerWord {
        suspects = Set.copyOf(suspects);
        logs = Map.copyOf(logs);
    }

    /** The last entry of a Raft log: ordered as Raft orders logs (term first, then index). */
    public record LogPosition(long term, long index) implements Comparable<LogPosition> {
        @Override
        public int compareTo(LogPosition o) {
            return term != o.term ? Long.compare(term, o.term) : Long.compare(index, o.index);
        }
    }

    public static final PeerWord NOTHING = new PeerWord(Set.of(), Map.of());

    /** Parses the two headers (either may be absent); a malformed log entry is left out, not guessed. */
    public static PeerWord parse(String suspectsHeader, String logsHeader) {
        Set<String> suspects = suspectsHeader == null ? Set.of() : Arrays.stream(suspectsHeader.split(","))
                .map(String::strip).filter(r -> !r.isEmpty()).collect(Collectors.toUnmodifiableSet());
        Map<String, LogPosition> logs = new LinkedHashMap<>();
        if (logsHeader != null) {
            for (String part : logsHeader.split(",")) {
                int eq = part.indexOf('=');
                int colon = part.lastIndexOf(':');
                if (eq <= 0 || colon < eq) {
                    continue;
                }
                try {
                    logs.put(part.substring(0, eq).strip(), new LogPosition(Long.parseLong(part.substring(eq + 1, colon).strip()),
                            Long.parseLong(part.substring(colon + 1).strip())));
                } catch (NumberFormatException e) {
                    // left out
                }
            }
        }
        return new PeerWord(suspects, logs);
    }

    public String suspectsHeader() {
        return suspects.stream().sorted().collect(Collectors.joining(","));
    }

    public String logsHeader() {
        return logs.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue().term() + ":" + e.getValue().index()).collect(Collectors.joining(","));
    }

    public Optional<LogPosition> log(String group) {
        return Optional.ofNullable(logs.get(group));
    }
}
