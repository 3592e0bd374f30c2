-- The refund cap measured refunds against the original's amount whatever the original was: a POSTED
-- refund of an id that does not exist, or of a transaction that FAILED, passed. A refund returns money
-- that moved, so an original that is missing or not POSTED caps its refunds at zero.
CREATE OR REPLACE FUNCTION transactions_check_refund_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    original bigint;
    refunded bigint;
BEGIN
    SELECT coalesce(max(amount), 0) INTO original FROM transactions WHERE id = NEW.refund_of AND status = 'POSTED';
    SELECT coalesce(sum(amount), 0) INTO refunded FROM transactions WHERE refund_of = NEW.refund_of AND status = 'POSTED';
    IF refunded > original THEN
        RAISE EXCEPTION 'refunds of transaction % would reach % minor units, more than its % posted', NEW.refund_of, refunded, original
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
