-- Room on each page for a row's later versions, so that updates which change no indexed column stay on
-- their page (HOT) and write no index entry. A transaction's row is inserted ACCEPTED and updated twice:
-- the accept path's completion (published_at, message_id: no index reads them, so it is HOT) and the
-- posting (status, which the in-flight index's predicate reads: never HOT, see docs/benchmarks.md). An
-- idempotency key is inserted and updated once with its answer (a few hundred bytes), which is HOT.
-- Existing pages keep their fill; new pages get the room.
ALTER TABLE transactions SET (fillfactor = 80);
ALTER TABLE idempotency_keys SET (fillfactor = 70);
