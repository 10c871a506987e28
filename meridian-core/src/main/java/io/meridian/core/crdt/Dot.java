package io.meridian.core.crdt;

/**
 * One event of a replica: the {@code counter}-th event of {@code region} in one object. Every
 * element, increment or value a region adds gets a new dot, so removing it later removes exactly
 * what was observed.
 */
public record Dot(String region, long counter) implements Comparable<Dot> {
    public Dot {
        if (counter < 1) {
            throw new IllegalArgumentException("a dot counts from 1: " + counter);
        }
    }

    @Override
    public int compareTo(Dot o) {
        int c = Long.compare(counter, o.counter);
        return c != 0 ? c : region.compareTo(o.region);
    }

    /** The form the API shows: {@code region:counter}. */
    @Override
    public String toString() {
        return region + ":" + counter;
    }

    /** Reads {@code region:counter}. @throws IllegalArgumentException when it is not one */
    public static Dot parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not an element id (region:number)");
        }
        try {
            return new Dot(text.substring(0, colon), Long.parseLong(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an element id (region:number)");
        }
    }
}
