package io.meridian.replication.strong;

import static io.meridian.replication.strong.GroupJoin.Answer.COMMITTED;
import static io.meridian.replication.strong.GroupJoin.Answer.NOTHING_COMMITTED;
import static io.meridian.replication.strong.GroupJoin.Answer.NO_GROUP;
import static io.meridian.replication.strong.GroupJoin.Answer.UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GroupJoinTest {
    @Test
    void aGroupThatCommittedAnythingIsRejoinedThroughAMembershipChange() {
        assertThat(GroupJoin.decide(List.of(COMMITTED, UNREACHABLE))).isEqualTo(GroupJoin.Plan.REJOIN);
        assertThat(GroupJoin.decide(List.of(NO_GROUP, COMMITTED))).isEqualTo(GroupJoin.Plan.REJOIN);
    }

    @Test
    void aGroupThatNeverCommittedIsFoundedWithTheConfiguredMembers() {
        assertThat(GroupJoin.decide(List.of(NO_GROUP, NO_GROUP))).isEqualTo(GroupJoin.Plan.FOUND);
        assertThat(GroupJoin.decide(List.of(NOTHING_COMMITTED, UNREACHABLE))).isEqualTo(GroupJoin.Plan.FOUND);
        assertThat(GroupJoin.decide(List.of(UNREACHABLE, UNREACHABLE))).as("nobody answers: a first start").isEqualTo(GroupJoin.Plan.FOUND);
    }
}
