package io.synrep.it;

import io.synrep.it.WorkerReads.Answer;
import io.synrep.it.WorkerReads.Kind;
import io.synrep.it.WorkerReads.Latest;
import io.synrep.it.WorkerReads.Query;
import io.synrep.it.WorkerTap.TapRow;
import io.synrep.it.WorkerWrites.EventFact;
import io.synrep.it.WorkerWrites.PresenceFact;
import io.synrep.it.WorkerWrites.RuleFact;
import io.synrep.it.WorkerWrites.Versioned;
import io.synrep.it.WorkerWrites.Write;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the writer had committed at each position, built after the fact from the writer's log (what each
 * transaction did) and the test reader's rows (at which position each transaction committed), and the check of a
 * worker's answer against it: an answer carrying position P must reflect every write committed at or before P.
 *
 * <p>Each check is exact for its read:
 * <ul>
 *   <li>versioned keys (account data, room account data, receipts, tags, pushers): the answered version is one the
 *       writer committed, and is at least the last version committed at or before P; an absent key is allowed only
 *       if the last write at or before P deleted it (or there was none), or a later deletion exists;</li>
 *   <li>latest events (limit N): every event of the room committed at or before P whose stream ordering is above
 *       the lowest one answered (all of them, when fewer than N were answered) is in the answer;</li>
 *   <li>memberships: for each room where the user had a member event at or before P, the answered member event has
 *       at least that event's stream ordering (Synapse's rule: the highest stream ordering wins);</li>
 *   <li>an event: found when committed at or before P; redacted when a redaction of it was;</li>
 *   <li>push rules: every rule added at or before P and never deleted is there, none deleted at or before P is;</li>
 *   <li>presence: the answered stream id is at least the highest committed at or before P;</li>
 *   <li>"changed since Q?" answered false: no row marking that entity at a position in (Q, P].</li>
 * </ul>
 * Answers newer than P are always fine (the read may see later commits); anything the writer never committed is not.
 *
 * <p>Both schemas ({@link WorkerSchema}): current Synapse's streams carry the same writes under other names (one
 * {@code account_data} stream; pusher deletions on {@code pushers}, whose user is {@code user_id}); its state
 * deltas on {@code events} ({@code kind = state}) repeat a state event's stream ordering at the event's position
 * and are not a write of their own.
 */
final class WorkerTruth {
    private record VEntry(long version, long position, boolean deleted) {}

    private record EventEntry(EventFact fact, long position) {}

    private record RuleEntry(long added, long deleted) {}

    /** Positions by logged write ("stream#id"). */
    private final Map<String, Long> positions = new HashMap<>();
    private final Map<String, List<VEntry>> versioned = new HashMap<>();
    private final Map<String, List<EventEntry>> roomEvents = new HashMap<>(); // newest (highest so) first
    private final Map<String, EventEntry> eventsById = new HashMap<>();
    private final Map<String, List<EventEntry>> redactionsOf = new HashMap<>();
    private final Map<String, List<EventEntry>> members = new HashMap<>(); // "user|room"
    private final Map<String, Map<String, RuleEntry>> rules = new HashMap<>();
    private final Map<String, Map<Long, Long>> presence = new HashMap<>(); // user → stream id → position
    private final Map<String, List<Long>> userMarks = new HashMap<>();
    private final Map<String, List<Long>> roomMarks = new HashMap<>();
    /** Problems of the history itself (a write without a row, a row twice, versions out of commit order). */
    final List<String> problems = new ArrayList<>();
    final List<Write> unpositioned = new ArrayList<>();

    // figures
    final Map<Kind, Long> answersByKind = new EnumMap<>(Kind.class);
    long answers;
    long keyChecks;
    long nonTrivialChecks;
    long newerThanP;
    /** "Changed since?" answers that said no (the ones that can be wrong). */
    long notChanged;
    final List<String> violations = new ArrayList<>();
    private final List<String> receiptThreads;

    WorkerTruth(List<Write> writes, List<TapRow> rows, boolean requireEveryWrite) {
        this(writes, rows, requireEveryWrite, WorkerSchema.SEED);
    }

    WorkerTruth(List<Write> writes, List<TapRow> rows, boolean requireEveryWrite, WorkerSchema schema) {
        this.receiptThreads = schema.receiptThreads;
        Set<String> logged = Set.of("events", "backfill", "receipts", "presence", "user_account_data",
                "room_account_data", "tag_account_data", "push_rules", "pushers", "deleted_pushers", "account_data");
        for (TapRow r : rows) {
            if (logged.contains(r.stream()) && !"state".equals(r.text("kind"))) {
                String k = r.stream() + "#" + r.id();
                if (positions.put(k, r.position()) != null) {
                    problems.add("row " + k + " received twice");
                }
            }
            mark(r);
        }
        userMarks.values().forEach(Collections::sort);
        roomMarks.values().forEach(Collections::sort);
        for (Write w : writes) {
            Long p = positions.get(w.stream() + "#" + w.id());
            if (p == null) {
                unpositioned.add(w);
                if (requireEveryWrite) {
                    problems.add("no row for committed write " + w);
                }
                continue;
            }
            if (w.fact() instanceof Versioned v) {
                versioned.computeIfAbsent(v.key(), k -> new ArrayList<>()).add(new VEntry(v.version(), p, v.deleted()));
            } else if (w.fact() instanceof EventFact e) {
                EventEntry entry = new EventEntry(e, p);
                roomEvents.computeIfAbsent(e.room(), k -> new ArrayList<>()).add(entry);
                eventsById.put(e.eventId(), entry);
                if (e.redacts() != null) {
                    redactionsOf.computeIfAbsent(e.redacts(), k -> new ArrayList<>()).add(entry);
                }
                if (e.member() != null && e.so() > 0) {
                    members.computeIfAbsent(e.member() + "|" + e.room(), k -> new ArrayList<>()).add(entry);
                }
            } else if (w.fact() instanceof RuleFact r) {
                Map<String, RuleEntry> byId = rules.computeIfAbsent(r.user(), k -> new HashMap<>());
                RuleEntry old = byId.getOrDefault(r.ruleId(), new RuleEntry(Long.MAX_VALUE, Long.MAX_VALUE));
                byId.put(r.ruleId(), r.delete() ? new RuleEntry(old.added(), p) : new RuleEntry(p, old.deleted()));
            } else if (w.fact() instanceof PresenceFact f) {
                presence.computeIfAbsent(f.user(), k -> new HashMap<>()).put(f.streamId(), p);
            }
        }
        // versions of one key were committed in version order (row locks, or one owning writer): positions agree
        versioned.forEach((key, list) -> {
            list.sort(Comparator.comparingLong(VEntry::version));
            for (int i = 0; i < list.size(); i++) {
                VEntry e = list.get(i);
                if (e.version() != i + 1 && requireEveryWrite) {
                    problems.add(key + ": version " + (i + 1) + " missing (have " + e.version() + ")");
                    break;
                }
                if (i > 0 && list.get(i - 1).position() >= e.position()) {
                    problems.add(key + ": version " + e.version() + " at position " + e.position()
                            + " not after version " + list.get(i - 1).version() + " at " + list.get(i - 1).position());
                }
            }
        });
        roomEvents.values().forEach(l -> l.sort(Comparator.comparingLong((EventEntry e) -> e.fact().so()).reversed()));
        rules.values().forEach(byId -> byId.forEach((id, r) -> {
            if (r.added() == Long.MAX_VALUE) {
                problems.add("rule " + id + " deleted but never added");
            } else if (r.deleted() != Long.MAX_VALUE && r.deleted() <= r.added()) {
                problems.add("rule " + id + " deleted at " + r.deleted() + " not after its addition at " + r.added());
            }
        }));
    }

    /** The entities a row marks as changed, as the reader's change caches do (see {@code EntityChanges}). */
    private void mark(TapRow r) {
        switch (r.stream()) {
            case "events", "backfill" -> {
                add(roomMarks, r.text("room_id"), r.position());
                if ("m.room.member".equals(r.text("type"))) {
                    add(userMarks, r.text("state_key"), r.position());
                }
            }
            case "receipts" -> {
                add(roomMarks, r.text("room_id"), r.position());
                add(userMarks, r.text("user_id"), r.position());
            }
            case "public_rooms" -> add(roomMarks, r.text("room_id"), r.position());
            case "pushers" -> add(userMarks, r.text("user_name") != null ? r.text("user_name") : r.text("user_id"),
                    r.position());
            case "to_device" -> {
                String entity = r.text("entity");
                if (entity != null && entity.startsWith("@")) {
                    add(userMarks, entity, r.position());
                }
            }
            case "caches" -> { }
            default -> add(userMarks, r.text("user_id"), r.position());
        }
    }

    private static void add(Map<String, List<Long>> marks, String entity, long position) {
        if (entity != null) {
            marks.computeIfAbsent(entity, k -> new ArrayList<>()).add(position);
        }
    }

    /** Checks one answer; records a violation per wrong part. */
    void check(Answer a) {
        answers++;
        answersByKind.merge(a.query().kind(), 1L, Long::sum);
        Query q = a.query();
        long p = a.position();
        Object o = a.observed();
        switch (q.kind()) {
            case AD_ALL, RAD, RC_USER, RC_ROOM, TAGS, PUSHERS -> {
                @SuppressWarnings("unchecked")
                Map<String, Long> m = (Map<String, Long>) o;
                List<String> domain = WorkerReads.domain(q, receiptThreads);
                for (String k : m.keySet()) {
                    if (!domain.contains(k)) {
                        violation(a, "answered a key outside the query: " + k);
                    }
                }
                for (String k : domain) {
                    checkVersioned(a, k, m.get(k));
                }
            }
            case AD_ONE -> checkVersioned(a, WorkerWrites.adKey(q.a(), q.b()), (Long) o);
            case LATEST -> checkLatest(a, (Latest) o);
            case ROOMS -> {
                @SuppressWarnings("unchecked")
                Map<String, String> m = (Map<String, String>) o;
                checkRooms(a, m);
            }
            case EVENT -> checkEvent(a, (String) o);
            case RULES -> {
                @SuppressWarnings("unchecked")
                Set<String> s = (Set<String>) o;
                checkRules(a, s);
            }
            case PRESENCE -> {
                keyChecks++;
                long answered = (Long) o;
                Map<Long, Long> known = presence.getOrDefault(q.a(), Map.of());
                long truth = 0;
                for (Map.Entry<Long, Long> e : known.entrySet()) {
                    if (e.getValue() <= p) {
                        truth = Math.max(truth, e.getKey());
                    }
                }
                count(truth > 0, answered > truth);
                if (answered != 0 && !known.containsKey(answered)) {
                    violation(a, "presence stream id " + answered + " was never committed");
                } else if (answered < truth) {
                    violation(a, "presence stream id " + answered + " older than " + truth + " committed at "
                            + known.get(truth));
                }
            }
            case CHANGED_USER, CHANGED_ROOM -> {
                keyChecks++;
                if (!(Boolean) o) {
                    notChanged++;
                    List<Long> marks = (q.kind() == Kind.CHANGED_USER ? userMarks : roomMarks)
                            .getOrDefault(q.a(), List.of());
                    for (long m : marks) {
                        if (m > q.n() && m <= p) {
                            violation(a, "answered 'not changed since " + q.n() + "' but it changed at " + m);
                            break;
                        }
                    }
                }
            }
        }
    }

    private void checkVersioned(Answer a, String key, Long answered) {
        keyChecks++;
        List<VEntry> history = versioned.getOrDefault(key, List.of());
        VEntry truth = null;
        for (VEntry e : history) { // in version order, which is commit order
            if (e.position() <= a.position()) {
                truth = e;
            } else {
                break;
            }
        }
        long truthVersion = truth == null ? 0 : truth.version();
        if (answered != null) {
            VEntry written = null;
            for (VEntry e : history) {
                if (e.version() == answered) {
                    written = e;
                }
            }
            count(truth != null, answered > truthVersion);
            if (written == null || written.deleted()) {
                violation(a, key + ": version " + answered + " was never committed");
            } else if (answered < truthVersion) {
                violation(a, key + ": version " + answered + " older than version " + truthVersion
                        + " committed at " + truth.position() + (truth.deleted() ? " (a deletion)" : ""));
            }
        } else {
            count(truth != null, false);
            if (truth != null && !truth.deleted()) {
                boolean laterDelete = false;
                for (VEntry e : history) {
                    laterDelete |= e.deleted() && e.version() > truthVersion;
                }
                if (!laterDelete) {
                    violation(a, key + ": absent, but version " + truthVersion + " was committed at "
                            + truth.position());
                }
            }
        }
    }

    private void checkLatest(Answer a, Latest l) {
        keyChecks++;
        Query q = a.query();
        if (l.ids().size() > q.n()) {
            violation(a, "more than " + q.n() + " events");
        }
        Set<String> answered = new HashSet<>(l.ids());
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < l.ids().size(); i++) {
            EventEntry e = eventsById.get(l.ids().get(i));
            long so = l.orderings().get(i);
            if (e == null || !e.fact().room().equals(q.a()) || e.fact().so() != so) {
                violation(a, "event " + l.ids().get(i) + " (" + so + ") was never committed to " + q.a());
            }
            if (so >= previous) {
                violation(a, "not newest first at " + l.ids().get(i));
            }
            previous = so;
        }
        long lowest = l.ids().size() < q.n() ? Long.MIN_VALUE : l.orderings().get(l.orderings().size() - 1);
        boolean nonTrivial = false;
        for (EventEntry e : roomEvents.getOrDefault(q.a(), List.of())) {
            if (e.fact().so() <= lowest) {
                break;
            }
            if (e.position() <= a.position()) {
                nonTrivial = true;
                if (!answered.contains(e.fact().eventId())) {
                    violation(a, "missing event " + e.fact().eventId() + " (stream ordering " + e.fact().so()
                            + ") committed at " + e.position());
                    break;
                }
            }
        }
        count(nonTrivial, false);
    }

    private void checkRooms(Answer a, Map<String, String> m) {
        String user = a.query().a();
        for (String room : m.keySet()) {
            if (!members.containsKey(user + "|" + room)) {
                violation(a, "membership of " + room + " never committed");
            }
        }
        for (int r = 0; r < WorkerWrites.ROOMS; r++) {
            keyChecks++;
            String room = WorkerWrites.room(r);
            EventEntry truth = null;
            for (EventEntry e : members.getOrDefault(user + "|" + room, List.of())) {
                if (e.position() <= a.position() && (truth == null || e.fact().so() > truth.fact().so())) {
                    truth = e;
                }
            }
            String answered = m.get(room);
            if (answered == null) {
                count(truth != null, false);
                if (truth != null) {
                    violation(a, "no membership of " + room + ", but " + truth.fact().eventId() + " committed at "
                            + truth.position());
                }
                continue;
            }
            String id = answered.substring(0, answered.indexOf('|'));
            String membership = answered.substring(answered.indexOf('|') + 1);
            EventEntry e = eventsById.get(id);
            if (e == null || !user.equals(e.fact().member()) || !room.equals(e.fact().room())
                    || !membership.equals(e.fact().membership())) {
                violation(a, room + ": " + answered + " is not a committed membership of " + user);
                continue;
            }
            count(truth != null, truth != null && e.fact().so() > truth.fact().so());
            if (truth != null && e.fact().so() < truth.fact().so()) {
                violation(a, room + ": membership " + answered + " older than " + truth.fact().eventId() + " ("
                        + truth.fact().membership() + ", stream ordering " + truth.fact().so() + ") committed at "
                        + truth.position());
            }
        }
    }

    private void checkEvent(Answer a, String redactedBy) {
        keyChecks++;
        String id = a.query().a();
        EventEntry e = eventsById.get(id);
        if (redactedBy == null) {
            count(e != null && e.position() <= a.position(), false);
            if (e != null && e.position() <= a.position()) {
                violation(a, "404, but the event committed at " + e.position());
            }
            return;
        }
        if (e == null) {
            violation(a, "found an event that was never committed");
            return;
        }
        List<EventEntry> redactions = redactionsOf.getOrDefault(id, List.of());
        EventEntry first = null;
        for (EventEntry r : redactions) {
            if (r.position() <= a.position() && (first == null || r.position() < first.position())) {
                first = r;
            }
        }
        count(first != null, false);
        if (redactedBy.isEmpty()) {
            if (first != null) {
                violation(a, "not redacted, but " + first.fact().eventId() + " redacted it at " + first.position());
            }
        } else if (redactions.stream().noneMatch(r -> r.fact().eventId().equals(redactedBy))) {
            violation(a, "redacted by " + redactedBy + ", which never redacted it");
        }
    }

    private void checkRules(Answer a, Set<String> answered) {
        Map<String, RuleEntry> known = rules.getOrDefault(a.query().a(), Map.of());
        for (String id : answered) {
            if (!known.containsKey(id)) {
                violation(a, "rule " + id + " was never added");
            }
        }
        for (Map.Entry<String, RuleEntry> e : known.entrySet()) {
            keyChecks++;
            RuleEntry r = e.getValue();
            if (r.deleted() <= a.position()) {
                count(true, false);
                if (answered.contains(e.getKey())) {
                    violation(a, "rule " + e.getKey() + " deleted at " + r.deleted() + " still there");
                }
            } else if (r.added() <= a.position() && r.deleted() == Long.MAX_VALUE) {
                count(true, false);
                if (!answered.contains(e.getKey())) {
                    violation(a, "rule " + e.getKey() + " added at " + r.added() + " missing");
                }
            }
        }
    }

    private void count(boolean nonTrivial, boolean newer) {
        if (nonTrivial) {
            nonTrivialChecks++;
        }
        if (newer) {
            newerThanP++;
        }
    }

    private void violation(Answer a, String what) {
        violations.add("worker " + a.worker() + " " + a.query() + " at position " + a.position() + ": " + what);
    }
}
