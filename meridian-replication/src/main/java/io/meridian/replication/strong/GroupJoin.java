package io.meridian.replication.strong;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

/**
 * How a region that holds no Raft state for a group joins it: as a founding member when the
 * group has never committed anything, or as a new member through a membership change when it
 * has (the region lost its disk, or was added late). A member that lost its log and its votes
 * must not take part as if it had kept them: it could vote a leader in that lacks a committed
 * entry, or count towards a commit it does not hold.
 *
 * <p>The decision is made from what the other members answer; a member that does not answer
 * tells nothing. If none answers, the region founds the group: when every other member is down
 * at once, a region that lost its disk cannot tell a first start from a rebuild.
 */
final class GroupJoin {
    private GroupJoin() {
    }

    /** What another member says of the group. */
    enum Answer {
        /** It did not answer. */
        UNREACHABLE,
        /** It does not host the group (yet). */
        NO_GROUP,
        /** It hosts the group, which has committed nothing. */
        NOTHING_COMMITTED,
        /** It hosts the group, which has committed entries. */
        COMMITTED
    }

    enum Plan {
        /** Host the group with the configured members, as at a first start. */
        FOUND,
        /** Be removed, host the group, be added back (learner, then voter). */
        REJOIN
    }

    static Plan decide(Collection<Answer> answers) {
        return answers.contains(Answer.COMMITTED) ? Plan.REJOIN : Plan.FOUND;
    }

    /** Asks every other member of the group, once each, with a short timeout. */
    static List<Answer> probe(RaftGroup group, RaftPeerId self, RaftProperties base, org.apache.ratis.conf.Parameters parameters) {
        RaftProperties properties = new RaftProperties(base);
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(1, TimeUnit.SECONDS));
        List<Answer> answers = new ArrayList<>();
        try (RaftClient client = RaftClient.newBuilder().setParameters(parameters).setClientId(MeteredConsensus.clientId(self.toString())).setRaftGroup(group).setProperties(properties)
                .setRetryPolicy(RetryPolicies.noRetry()).build()) {
            for (RaftPeer peer : group.getPeers()) {
                if (!peer.getId().equals(self)) {
                    answers.add(ask(client, peer, group));
                }
            }
        } catch (IOException e) {
            // closing the client failed: the answers stand
        }
        return answers;
    }

    private static Answer ask(RaftClient client, RaftPeer peer, RaftGroup group) {
        try {
            GroupInfoReply info = client.getGroupManagementApi(peer.getId()).info(group.getGroupId());
            if (!info.isSuccess()) {
                return info.getException() instanceof GroupMismatchException ? Answer.NO_GROUP : Answer.UNREACHABLE;
            }
            var logInfo = info.getLogInfoProto();
            return logInfo.hasCommitted() && logInfo.getCommitted().getIndex() >= 0 ? Answer.COMMITTED : Answer.NOTHING_COMMITTED;
        } catch (GroupMismatchException e) {
            return Answer.NO_GROUP;
        } catch (IOException | RuntimeException e) {
            Throwable cause = e.getCause();
            return cause instanceof GroupMismatchException ? Answer.NO_GROUP : Answer.UNREACHABLE;
        }
    }

    /** Marks a rejoin under way, so that a restart in the middle of one finishes it. */
    static Path marker(Path dir, String keyspace) {
        String id = UUID.nameUUIDFromBytes(keyspace.getBytes(StandardCharsets.UTF_8)).toString();
        return dir.resolve("ratis-rejoin").resolve(id);
    }
}
