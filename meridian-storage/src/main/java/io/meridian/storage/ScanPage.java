package io.meridian.storage;

import java.util.List;
import java.util.Optional;

/** One page of a scan; {@code next} is the key to pass as {@code after} for the following page. */
public record ScanPage(List<StoredValue> items, Optional<byte[]> next) {
    public ScanPage {
        items = List.copyOf(items);
    }
}
