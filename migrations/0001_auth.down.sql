DROP TABLE rate_limits;
DROP TABLE jwks;
DROP TABLE verifications;
DROP TABLE accounts;
DROP TABLE sessions;
DROP TABLE users;
