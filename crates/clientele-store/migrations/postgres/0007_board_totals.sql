-- The board's counts and sums, kept up to date in the transaction of every deal write: per
-- pipeline, open stage, main owner (the nil id for a deal without one) and currency, the
-- number of open live deals and their amounts in minor units. The unfiltered board (and a
-- manager's or a team's, by owner) adds up these few rows instead of every open deal.
CREATE TABLE deal_board_totals (
    pipeline_id UUID NOT NULL,
    stage_id    UUID NOT NULL,
    owner_id    UUID NOT NULL,
    currency    TEXT NOT NULL,
    deal_count  BIGINT NOT NULL,
    sum_minor   BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, stage_id, owner_id, currency)
);

INSERT INTO deal_board_totals (pipeline_id, stage_id, owner_id, currency, deal_count, sum_minor)
SELECT pipeline_id, stage_id, COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), currency,
       COUNT(*), SUM(amount_minor)
FROM deals WHERE status = 'open' AND deleted_at IS NULL
GROUP BY pipeline_id, stage_id, COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), currency;
