package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.streams.Catalog;
import io.synrep.streams.StreamRule;
import io.synrep.streams.StreamRule.Operation;
import java.sql.Statement;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides what the relay's publications must publish so that the catalog's streams get their rows and the writer's
 * statements never fail because of them.
 *
 * <p>PostgreSQL's {@code publish} option is per publication, so the relay keeps one publication per operation: NAME
 * publishes INSERTs, NAME_upd UPDATEs and NAME_del DELETEs (the last two only when some stream needs them), and each
 * catalog table is in exactly those its streams need (a Synapse stream table that is only appended to is never
 * published for UPDATE or DELETE, so the writer may update and delete it freely). pgoutput reads several
 * publications from one comma-separated name; Debezium checks that such a name exists as a publication, so an empty
 * publication named e.g. {@code NAME,NAME_upd} stands for them. They are created together, before the slot: pgoutput
 * cannot decode WAL written before a publication it was asked for existed ({@link #createdAfterSlot()}).
 *
 * <p>A NAME that already publishes UPDATE or DELETE (made by hand or by a Synrep before 0.2) is kept as it is
 * ("single publication"): the relay streams it alone and adds missing catalog tables to it.
 *
 * <p>A table that would have UPDATE or DELETE published without a usable replica identity is never added: the plan
 * lists the statement that gives it one instead ({@link #identityFixes()}), and nothing is changed until that ran.
 * Immutable.
 *
 * @param base           the configured publication name
 * @param streamed       the name Debezium streams from
 * @param single         whether NAME is a single publication publishing more than INSERT
 * @param statements     CREATE and ALTER PUBLICATION statements still to run, in order
 * @param identityFixes  tables whose replica identity must change first (or the statements would break the writer)
 * @param brokenNow      catalog tables whose UPDATE or DELETE PostgreSQL refuses already, with the publications
 *                       that cause it
 * @param published      per catalog table, the operations published for it once the statements ran
 */
public record Publications(String base, String streamed, boolean single, List<String> statements,
                           List<IdentityFix> identityFixes, Map<String, List<String>> brokenNow,
                           Map<String, Set<Operation>> published, List<String> createdAfterSlot) {
    /**
     * The tables whose UPDATE and DELETE PostgreSQL will still refuse after the plan ran: broken now by a publication
     * other than the relay's own (which the plan narrows or keeps), with no usable replica identity.
     */
    public Map<String, List<String>> brokenAfter() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Set<String> fixed = new java.util.HashSet<>();
        identityFixes.forEach(f -> fixed.add(f.identity().table()));
        brokenNow.forEach((table, culprits) -> {
            List<String> others = culprits.stream().filter(p -> !names().contains(p) && !p.equals(base)).toList();
            if (!others.isEmpty() && !fixed.contains(table)) {
                out.put(table, others);
            }
        });
        return out;
    }


    /**
     * A table that needs a replica identity before UPDATE or DELETE can be published for it.
     *
     * @param identity  its identity now
     * @param operations the operations that would be published for it
     * @param statement the statement that makes it usable ({@link TableIdentity#fix()})
     */
    public record IdentityFix(TableIdentity identity, Set<Operation> operations, String statement) {}

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Publications.class);

    public static String updates(String base) {
        return base + "_upd";
    }

    public static String deletes(String base) {
        return base + "_del";
    }

    /** The publication names capture streams from: NAME, and NAME_upd and NAME_del where they exist or are needed. */
    public List<String> names() {
        return List.of(streamed.split(","));
    }

    /** Publications the plan creates although a slot exists: it cannot decode earlier WAL with them. */
    public List<String> createdAfterSlot() {
        return createdAfterSlot;
    }

    /** Whether capture can start without breaking the writer: no table needs a replica identity first. */
    public boolean safe() {
        return identityFixes.isEmpty();
    }

    /**
     * Works out the publications for the catalog's needs, asking the database what exists.
     *
     * @param base   the configured publication name
     * @param needed per existing catalog table ({@code schema.table}), the operations its streams need
     */
    public static Publications plan(Connection conn, String base, Map<String, Set<Operation>> needed,
                                    boolean slotExists) throws SQLException {
        Map<String, boolean[]> pubs = publications(conn);
        Map<String, Set<String>> membership = membership(conn, needed.keySet());
        Map<String, TableIdentity> identities = TableIdentity.read(conn, needed.keySet());

        boolean[] own = pubs.get(base);
        boolean wide = own != null && (own[1] || own[2]);
        if (!wide) {
            return build(base, needed, pubs, membership, identities, false, slotExists);
        }
        // a wide NAME (made by hand or by an older relay) is kept while it harms no statement of the writer, and
        // whenever a slot reads it (a slot may only stream publications that existed when its WAL was written);
        // otherwise NAME is narrowed to inserts and the other two join it
        Publications kept = build(base, needed, pubs, membership, identities, true, slotExists);
        return kept.safe() || slotExists ? kept : build(base, needed, pubs, membership, identities, false, false);
    }

    private static Publications build(String base, Map<String, Set<Operation>> needed, Map<String, boolean[]> pubs,
                                      Map<String, Set<String>> membership, Map<String, TableIdentity> identities,
                                      boolean single, boolean slotExists) {
        boolean[] own = pubs.get(base);
        boolean wide = own != null && (own[1] || own[2]);
        List<String> included = new ArrayList<>(List.of(base));
        if (!single) {
            boolean updates = needed.values().stream().anyMatch(o -> o.contains(Operation.UPDATE));
            boolean deletes = needed.values().stream().anyMatch(o -> o.contains(Operation.DELETE));
            if (updates || pubs.containsKey(updates(base))) {
                included.add(updates(base));
            }
            if (deletes || pubs.containsKey(deletes(base))) {
                included.add(deletes(base));
            }
        }
        String streamed = String.join(",", included);
        if (streamed.length() > 63) {
            throw new SlotSetup.SetupException("publication name '" + base + "' is too long: the relay keeps "
                    + String.join(" and ", included.subList(1, included.size())) + " beside it, named together as '"
                    + streamed + "', which must fit PostgreSQL's 63 characters; choose a shorter --publication");
        }
        List<String> createdAfterSlot = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        Map<String, Set<Operation>> published = new LinkedHashMap<>();
        Map<String, List<String>> brokenNow = new LinkedHashMap<>();
        for (String table : needed.keySet()) {
            Set<Operation> ops = EnumSet.noneOf(Operation.class);
            List<String> culprits = new ArrayList<>();
            for (String pub : membership.getOrDefault(table, Set.of())) {
                boolean[] p = pubs.get(pub);
                addOps(ops, p);
                if (p != null && (p[1] || p[2])) {
                    culprits.add(pub);
                }
            }
            TableIdentity id = identities.get(table);
            if (!culprits.isEmpty() && id != null && !id.usable()) {
                brokenNow.put(table, culprits);
            }
            published.put(table, ops);
        }

        Map<String, List<String>> additions = new LinkedHashMap<>();
        if (single) {
            for (String table : needed.keySet()) {
                if (!membership.getOrDefault(table, Set.of()).contains(base)) {
                    additions.computeIfAbsent(base, k -> new ArrayList<>()).add(table);
                    addOps(published.get(table), own);
                }
            }
        } else {
            String[] names = {base, updates(base), deletes(base)};
            String[] publish = {"insert", "update", "delete"};
            boolean[] use = {true, included.contains(names[1]), included.contains(names[2])};
            if (wide) {
                statements.add("ALTER PUBLICATION " + TableIdentity.quote(base) + " SET (publish = 'insert')");
                for (String table : needed.keySet()) {
                    if (membership.getOrDefault(table, Set.of()).contains(base)) {
                        Set<Operation> ops = EnumSet.noneOf(Operation.class);
                        for (String pub : membership.get(table)) {
                            if (!pub.equals(base)) {
                                addOps(ops, pubs.get(pub));
                            }
                        }
                        ops.add(Operation.INSERT);
                        published.put(table, ops);
                    }
                }
            }
            for (int i = 0; i < names.length; i++) {
                if (use[i] && !pubs.containsKey(names[i])) {
                    statements.add("CREATE PUBLICATION " + TableIdentity.quote(names[i])
                            + " WITH (publish = '" + publish[i] + "')");
                    if (slotExists) {
                        createdAfterSlot.add(names[i]);
                    }
                }
            }
            if (included.size() > 1 && !pubs.containsKey(streamed)) {
                // empty: it only exists so that Debezium finds the name it streams from
                statements.add("CREATE PUBLICATION " + TableIdentity.quote(streamed) + " WITH (publish = 'insert')");
            }
            Operation[] byPub = {Operation.INSERT, Operation.UPDATE, Operation.DELETE};
            for (Map.Entry<String, Set<Operation>> e : needed.entrySet()) {
                Set<String> in = membership.getOrDefault(e.getKey(), Set.of());
                for (int i = 0; i < names.length; i++) {
                    if (use[i] && e.getValue().contains(byPub[i]) && !in.contains(names[i])) {
                        additions.computeIfAbsent(names[i], k -> new ArrayList<>()).add(e.getKey());
                        published.get(e.getKey()).add(byPub[i]);
                    }
                }
            }
        }
        for (Map.Entry<String, List<String>> e : additions.entrySet()) {
            statements.add("ALTER PUBLICATION " + TableIdentity.quote(e.getKey()) + " ADD TABLE "
                    + String.join(", ", e.getValue().stream().map(SlotSetup::quoteQualified).toList()));
        }

        List<IdentityFix> fixes = new ArrayList<>();
        for (Map.Entry<String, Set<Operation>> e : published.entrySet()) {
            TableIdentity id = identities.get(e.getKey());
            boolean changes = e.getValue().contains(Operation.UPDATE) || e.getValue().contains(Operation.DELETE);
            if (changes && id != null && !id.usable()) {
                Set<Operation> ops = EnumSet.copyOf(e.getValue());
                ops.remove(Operation.INSERT);
                fixes.add(new IdentityFix(id, ops, id.fix()));
            }
        }
        return new Publications(base, streamed, single, List.copyOf(statements), List.copyOf(fixes), brokenNow,
                published, List.copyOf(createdAfterSlot));
    }

    /**
     * Brings the relay's publications to what the catalog needs ({@link Publications}), unless that would make one of
     * the writer's statements fail: then nothing is changed and the relay refuses, naming the replica identity
     * statements to run first. Publications that already make the writer's statements fail are reported loudly. At
     * start missing publications are created and missing tables added; before a reconnect only missing publications
     * are created (as before the first start), and the rest is left to the per-stream states.
     */
    static Publications reconcile(Connection conn, CaptureConfig c, Catalog catalog, SchemaGaps gaps, boolean atStart)
            throws SQLException {
        Map<String, Set<StreamRule.Operation>> needed = new LinkedHashMap<>(catalog.operationsByTable());
        needed.keySet().removeAll(gaps.missingTables());
        Publications plan = plan(conn, c.publication(), needed, SlotSetup.slotExists(conn, c.slot()));
        for (Map.Entry<String, List<String>> e : plan.brokenAfter().entrySet()) {
            TableIdentity id = TableIdentity.read(conn, List.of(e.getKey())).get(e.getKey());
            LOG.error("THE WRITER'S UPDATE AND DELETE ON {} FAIL NOW: publication(s) {} publish them and the table's "
                    + "replica identity is {}; PostgreSQL refuses them until you run (as the table's owner): {} "
                    + "('synrep prepare --apply' does it)", e.getKey(), e.getValue(), id.describe(), id.fix());
        }
        if (!plan.safe()) {
            if (!atStart) {
                return plan;
            }
            Map<String, List<String>> streams = new LinkedHashMap<>();
            for (Publications.IdentityFix f : plan.identityFixes()) {
                streams.put(f.identity().table(), catalog.streamsReading(f.identity().table()));
            }
            throw new SlotSetup.SetupException(plan.refusal(streams));
        }
        if (atStart && !plan.createdAfterSlot().isEmpty()) {
            throw new SlotSetup.SetupException("the catalog needs publication(s) " + plan.createdAfterSlot() + " (streams that "
                    + "take updates or deletes), which did not exist when slot " + c.slot() + " was created; pgoutput "
                    + "cannot decode the slot's WAL with a publication made after it. Drop the slot (SELECT "
                    + "pg_drop_replication_slot('" + c.slot() + "')) and restart: the relay creates the publications, "
                    + "then a new slot (a new epoch: readers resync); or remove those streams from the catalog");
        }
        for (String sql : plan.statements()) {
            if (!atStart && !sql.startsWith("CREATE")) {
                continue;
            }
            try (Statement st = conn.createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) {
                    throw new SlotSetup.SetupException("the publications lack what the catalog needs and this role may not "
                            + "change them (" + e.getMessage() + "); as the owner of the tables (or a superuser) run: "
                            + String.join("; ", plan.statements()) + " (or 'synrep prepare --apply')");
                }
                throw e;
            }
            LOG.info("publications: {}", sql);
        }
        return plan;
    }

    /**
     * Why capture may not touch the publications, with the statements that make it safe; for a refusal message.
     *
     * @param streams per table, the streams that read it (for the message)
     */
    public String refusal(Map<String, List<String>> streams) {
        StringBuilder sb = new StringBuilder();
        if (!brokenNow.isEmpty()) {
            sb.append("THE WRITER'S UPDATE AND DELETE FAIL NOW on ").append(brokenNow.keySet())
                    .append(" (publications publishing them: ").append(brokenNow.values()).append("). ");
        }
        sb.append("the catalog's streams need ");
        List<String> parts = new ArrayList<>();
        for (IdentityFix f : identityFixes) {
            parts.add(opsText(f.operations()) + " of " + f.identity().table() + " (streams "
                    + streams.getOrDefault(f.identity().table(), List.of()) + "; replica identity "
                    + f.identity().describe() + ")");
        }
        sb.append(String.join(", ", parts));
        sb.append(" published, and PostgreSQL then refuses the writer's UPDATE, DELETE and INSERT ... ON CONFLICT DO "
                + "UPDATE on a table without a usable replica identity. Nothing was changed. Run 'synrep prepare' to "
                + "see, or 'synrep prepare --apply' to run, as the tables' owner: ");
        sb.append(String.join("; ", identityFixes.stream().map(IdentityFix::statement).toList()));
        return sb.toString();
    }

    /** {@code UPDATEs and DELETEs}, for messages. */
    public static String opsText(Set<Operation> ops) {
        List<String> names = new ArrayList<>();
        for (Operation o : ops) {
            names.add(o.name() + "s");
        }
        return String.join(" and ", names);
    }

    private static void addOps(Set<Operation> ops, boolean[] p) {
        if (p == null) {
            return;
        }
        if (p[0]) {
            ops.add(Operation.INSERT);
        }
        if (p[1]) {
            ops.add(Operation.UPDATE);
        }
        if (p[2]) {
            ops.add(Operation.DELETE);
        }
    }

    /** Every publication of the database: insert, update, delete published. */
    private static Map<String, boolean[]> publications(Connection conn) throws SQLException {
        Map<String, boolean[]> out = new LinkedHashMap<>();
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT pubname, pubinsert, pubupdate, pubdelete FROM pg_publication ORDER BY pubname");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), new boolean[] {rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4)});
            }
        }
        return out;
    }

    /** Per table, the publications that contain it (also through FOR ALL TABLES or a schema). */
    private static Map<String, Set<String>> membership(Connection conn, Set<String> tables) throws SQLException {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        Array names = conn.createArrayOf("text", tables.toArray());
        try (PreparedStatement ps = conn.prepareStatement("SELECT schemaname || '.' || tablename, pubname "
                + "FROM pg_publication_tables WHERE schemaname || '.' || tablename = ANY (?)")) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new TreeSet<>()).add(rs.getString(2));
                }
            }
        }
        return out;
    }
}
