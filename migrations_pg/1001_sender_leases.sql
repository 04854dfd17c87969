-- What only PostgreSQL has (several instances on one database) is numbered from 1001, apart from
-- the migrations that come in pairs with SQLite's (the same number in each folder).
--
-- The sending lease of each bot (PostgreSQL only: several `loa serve` instances may share this
-- database, and Telegram's limits are the bot's): the instance named `holder` sends the bot's
-- deliveries until `until_ms` (the database's clock, milliseconds since 1970), renewing it every
-- second; another takes it over once it lapses. SQLite has one process per database and no lease.
CREATE TABLE sender_leases (
    bot_id    BIGINT PRIMARY KEY,
    holder    TEXT NOT NULL,
    until_ms  BIGINT NOT NULL
);
