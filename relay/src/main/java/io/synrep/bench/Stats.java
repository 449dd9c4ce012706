package io.synrep.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Median and spread of repeated measurements. */
final class Stats {
    private Stats() {}

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** "median (min-max)" for several values, the value alone for one; rounded to whole units. */
    static String describe(List<Double> values) {
        if (values.size() == 1) {
            return String.format("%,.0f", values.get(0));
        }
        return String.format("%,.0f (%,.0f-%,.0f)", median(values), Collections.min(values), Collections.max(values));
    }
}
