-- Login limits as counters that each attempt bumps in the statement that reads them, so
-- concurrent guesses cannot all pass the limit (docs/configuration.md, [web]): per account
-- and address ('pair'), per address over all accounts ('address'), per account over all
-- addresses ('account', which slows an account's checks but never locks it). A counter
-- counts the attempts since `window_start`; an attempt after the window starts a new one.
DROP TABLE login_failures;

CREATE TABLE login_limits (
    scope         TEXT NOT NULL CHECK (scope IN ('pair', 'address', 'account')),
    account       TEXT NOT NULL,
    address       TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    PRIMARY KEY (scope, account, address)
);
CREATE INDEX login_limits_window ON login_limits (window_start);
