-- One database and one owner per service (no service reads another's database).
-- Development passwords only; compose.yaml uses the same.
CREATE ROLE journal LOGIN PASSWORD 'journal-dev';
CREATE DATABASE journal OWNER journal;
CREATE ROLE access LOGIN PASSWORD 'access-dev';
CREATE DATABASE access OWNER access;
CREATE ROLE conversion LOGIN PASSWORD 'conversion-dev';
CREATE DATABASE conversion OWNER conversion;
CREATE ROLE svarut_gateway LOGIN PASSWORD 'svarut_gateway-dev';
CREATE DATABASE svarut_gateway OWNER svarut_gateway;
CREATE ROLE intake LOGIN PASSWORD 'intake-dev';
CREATE DATABASE intake OWNER intake;
