package io.synrep.client.synapse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StreamChangeCacheTest {

    @Test
    void answersWhetherAnEntityChangedAfterAPosition() {
        StreamChangeCache rooms = new StreamChangeCache("room_changes", 100, 10);
        rooms.entityChanged("!a", 110);
        rooms.entityChanged("!b", 120);

        assertTrue(rooms.hasEntityChanged("!a", 100));
        assertTrue(rooms.hasEntityChanged("!a", 109));
        assertFalse(rooms.hasEntityChanged("!a", 110), "a change at P is not a change after P");
        assertFalse(rooms.hasEntityChanged("!a", 115));
        assertTrue(rooms.hasEntityChanged("!b", 115));
        assertFalse(rooms.hasEntityChanged("!c", 100), "known since 100 and never changed");
        assertEquals("room_changes", rooms.name());
        assertEquals(100, rooms.earliest());
    }

    @Test
    void aLaterChangeMovesTheEntityAndAnOlderOneIsIgnored() {
        StreamChangeCache rooms = new StreamChangeCache("rooms", 100, 10);
        rooms.entityChanged("!a", 110);
        rooms.entityChanged("!a", 130);
        assertTrue(rooms.hasEntityChanged("!a", 120));
        assertFalse(rooms.hasEntityChanged("!a", 130));

        rooms.entityChanged("!a", 120); // a replayed row: must not move the entity back
        assertTrue(rooms.hasEntityChanged("!a", 125));
        assertFalse(rooms.hasEntityChanged("!a", 130));
    }

    @Test
    void answersYesForPositionsBeforeItsKnowledge() {
        StreamChangeCache rooms = new StreamChangeCache("rooms", 100, 10);
        assertTrue(rooms.hasEntityChanged("!never", 99), "before earliest: conservatively yes");
        assertTrue(rooms.hasEntityChanged("!never", -1));
        assertFalse(rooms.hasEntityChanged("!never", 100));

        rooms.entityChanged("!a", 100); // at or before earliest: already covered by the conservative answer
        assertFalse(rooms.hasEntityChanged("!a", 100));
        assertEquals(100, rooms.earliest());
    }

    @Test
    void evictionOfTheOldestChangesRaisesEarliest() {
        StreamChangeCache users = new StreamChangeCache("users", 0, 3);
        users.entityChanged("@a", 10);
        users.entityChanged("@b", 20);
        users.entityChanged("@c", 30);
        assertEquals(0, users.earliest());

        users.entityChanged("@d", 40); // four entities, capacity three: @a (at 10) is forgotten
        assertEquals(10, users.earliest());
        assertTrue(users.hasEntityChanged("@a", 5), "before earliest: yes");
        assertFalse(users.hasEntityChanged("@a", 10), "@a's last change was at 10, no later than earliest");
        assertTrue(users.hasEntityChanged("@b", 15));
        assertTrue(users.hasEntityChanged("@d", 35));
        assertFalse(users.hasEntityChanged("@d", 40));

        users.entityChanged("@b", 50); // @b moves from 20 to 50: still three entities, nothing forgotten
        assertEquals(10, users.earliest());
        users.entityChanged("@e", 60); // @c (30) is now the oldest
        assertEquals(30, users.earliest());
        assertTrue(users.hasEntityChanged("@c", 29));
        assertFalse(users.hasEntityChanged("@c", 30));
        assertTrue(users.hasEntityChanged("@b", 30));
        assertFalse(users.hasEntityChanged("@x", 30), "unknown entity, position within knowledge: no");
    }

    @Test
    void evictionDropsEveryEntityOfTheOldestPosition() {
        StreamChangeCache users = new StreamChangeCache("users", 0, 2);
        users.entityChanged("@a", 10);
        users.entityChanged("@b", 10); // one transaction, two entities
        users.entityChanged("@c", 20);
        assertEquals(10, users.earliest());
        assertTrue(users.hasEntityChanged("@a", 9));
        assertTrue(users.hasEntityChanged("@b", 9));
        assertFalse(users.hasEntityChanged("@a", 10));
        assertTrue(users.hasEntityChanged("@c", 10));

        users.entityChanged("@z", 5); // before earliest now: ignored
        assertFalse(users.hasEntityChanged("@z", 10));
    }

    @Test
    void resetForgetsEverything() {
        StreamChangeCache rooms = new StreamChangeCache("rooms", 100, 10);
        rooms.entityChanged("!a", 150);
        rooms.reset(200);
        assertEquals(200, rooms.earliest());
        assertTrue(rooms.hasEntityChanged("!a", 150), "before the reset point: yes");
        assertTrue(rooms.hasEntityChanged("!b", 199));
        assertFalse(rooms.hasEntityChanged("!a", 200));
        rooms.entityChanged("!a", 210);
        assertTrue(rooms.hasEntityChanged("!a", 200));
        assertFalse(rooms.hasEntityChanged("!a", 210));
    }

    @Test
    void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new StreamChangeCache("x", 0, 0));
    }
}
