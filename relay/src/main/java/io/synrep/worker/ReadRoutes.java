package io.synrep.worker;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.synrep.client.synapse.EventsStore;
import io.synrep.client.synapse.SlavedStores;
import java.util.Optional;

/**
 * The worker API's store reads, one route each (see {@code synrep worker --help}). Identifiers are path segments,
 * percent-encoded where needed ({@code !room:hs} and {@code @user:hs} need no encoding).
 */
final class ReadRoutes {
    private ReadRoutes() {}

    static void register(RoutesConfig r, WorkerApi api) {
        SlavedStores s = api.stores();
        r.get("/events/{event_id}", ctx -> event(ctx, api));
        r.get("/rooms/{room}/latest_events", ctx -> {
            int limit = WorkerApi.limit(ctx);
            api.read(ctx, "events", () -> s.events().latestEvents(ctx.pathParam("room"), limit));
        });
        r.get("/rooms/{room}/receipts", ctx -> api.read(ctx, "receipts",
                () -> s.receipts().forRoom(ctx.pathParam("room"))));
        r.get("/rooms/{room}/changed_since/{since}", ctx ->
                api.changedSince(ctx, s.roomChanges(), ctx.pathParam("room")));
        r.get("/users/{user}/rooms", ctx -> api.read(ctx, "rooms",
                () -> s.events().memberships(ctx.pathParam("user"))));
        r.get("/users/{user}/receipts", ctx -> api.read(ctx, "receipts",
                () -> s.receipts().forUser(ctx.pathParam("user"))));
        r.get("/users/{user}/account_data", ctx -> {
            String type = ctx.queryParam("type");
            if (type == null) {
                api.read(ctx, "account_data", () -> s.accountData().global(ctx.pathParam("user")));
            } else {
                accountDataOfType(ctx, api, type);
            }
        });
        r.get("/users/{user}/account_data/{type}", ctx -> accountDataOfType(ctx, api, ctx.pathParam("type")));
        r.get("/users/{user}/rooms/{room}/account_data", ctx -> api.read(ctx, "account_data",
                () -> s.accountData().room(ctx.pathParam("user"), ctx.pathParam("room"))));
        r.get("/users/{user}/tags", ctx -> api.read(ctx, "tags", () -> s.accountData().tags(ctx.pathParam("user"))));
        r.get("/users/{user}/push_rules", ctx -> api.read(ctx, "push_rules",
                () -> s.push().pushRules(ctx.pathParam("user"))));
        r.get("/users/{user}/pushers", ctx -> api.read(ctx, "pushers", () -> s.push().pushers(ctx.pathParam("user"))));
        r.get("/pushers", ctx -> api.read(ctx, "pushers", () -> s.push().allPushers()));
        r.get("/users/{user}/presence", ctx -> api.read(ctx, "presence",
                () -> s.presence().presence(ctx.pathParam("user")).orElse(null)));
        r.get("/users/{user}/changed_since/{since}", ctx ->
                api.changedSince(ctx, s.userChanges(), ctx.pathParam("user")));
        r.get("/users/{user}/devices/{device}/changed_since/{since}", ctx -> api.changedSince(ctx,
                s.deviceChanges(), SlavedStores.deviceKey(ctx.pathParam("user"), ctx.pathParam("device"))));
    }

    private static void event(Context ctx, WorkerApi api) {
        long position = api.position();
        String id = ctx.pathParam("event_id");
        Optional<EventsStore.Event> e = api.stores().events().event(id);
        if (e.isEmpty()) {
            throw new WorkerApi.Problem(404, "M_NOT_FOUND", "no event " + id, position);
        }
        api.answer(ctx, "event", e.get(), position);
    }

    private static void accountDataOfType(Context ctx, WorkerApi api, String type) {
        long position = api.position();
        String user = ctx.pathParam("user");
        var content = api.stores().accountData().global(user, type);
        if (content.isEmpty()) {
            throw new WorkerApi.Problem(404, "M_NOT_FOUND", "no account data of type " + type + " for " + user,
                    position);
        }
        api.answer(ctx, "content", content.get(), position);
    }
}
