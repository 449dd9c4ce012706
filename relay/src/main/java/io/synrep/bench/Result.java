package io.synrep.bench;

/**
 * One line of the benchmark table: what was measured, Synrep's figure, the peer's figure from the same run (or why
 * there is none), their ratio, the target, and whether the target was met.
 *
 * @param met true, false, or null when the target could not be judged (e.g. no peer to compare with)
 */
record Result(String scenario, String synrep, String baseline, String ratio, String target, Boolean met) {
    String verdict() {
        return met == null ? "n/a" : met ? "pass" : "MISS";
    }
}
