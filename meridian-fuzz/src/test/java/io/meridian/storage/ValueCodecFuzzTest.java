package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** A value's record as RocksDB holds it: one this version cannot read fails with an {@link IllegalStateException} naming the key. */
class ValueCodecFuzzTest {
    @FuzzTest
    void record(byte[] record) {
        StoredValue v;
        try {
            v = ValueCodec.decode("k".getBytes(), record);
        } catch (IllegalStateException refused) {
            return;
        }
        byte[] encoded = ValueCodec.encode(v.version(), v.modifiedMillis(), v.contentType(), v.value());
        assertThat(ValueCodec.decode("k".getBytes(), encoded)).usingRecursiveComparison().isEqualTo(v);
    }
}
