-- PMS Sync agent: a SQL Server login and database user that can read only what the agent reads.
--
-- It may SELECT exactly the tables and columns the agent's statements name under the bundled
-- mapping (agent/mapping.json; tests/agent/test_least_privilege_login.py checks the list against
-- the statements in agent/statements.py). It gets no role (not even db_datareader), cannot write,
-- and cannot run procedures. A firm whose mapping names other tables or columns changes the
-- GRANTs below to match: the agent then answers 503 for any column it may not read, and its log
-- names the refused column.
--
-- Run it in the Aderant database as a member of sysadmin or securityadmin plus db_owner, with
-- sqlcmd scripting variables (https://learn.microsoft.com/sql/tools/sqlcmd/sqlcmd-use-scripting-variables):
--
--   sqlcmd -S SQLHOST -d AderantExpert -E -b -i least-privilege-login.sql ^
--          -v AgentLogin="pms_sync_agent" AgentPassword="<a long random password>"
--
-- (In SQL Server Management Studio: Query > SQLCMD Mode, then :setvar AgentLogin / AgentPassword.)
-- The password (no single quotes in it) goes into PMS_AGENT_DATABASE_URL only, URL-encoded. Column lists follow "GRANT Object
-- Permissions": GRANT SELECT ON object (column, ...) TO principal
-- (https://learn.microsoft.com/sql/t-sql/statements/grant-object-permissions-transact-sql).
-- Running it again is safe: the login and user are created only when missing.

SET NOCOUNT ON;

IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'$(AgentLogin)')
    CREATE LOGIN [$(AgentLogin)] WITH PASSWORD = N'$(AgentPassword)', CHECK_POLICY = ON, CHECK_EXPIRATION = OFF;

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(AgentLogin)')
    CREATE USER [$(AgentLogin)] FOR LOGIN [$(AgentLogin)] WITH DEFAULT_SCHEMA = dbo;
GO

-- Matters, clients and their lookups
GRANT SELECT ON dbo.HBM_MATTER (MATTER_UNO, MATTER_CODE, CLIENT_UNO, MATTER_NAME, LONG_MATT_NAME, OPEN_DATE, CLOSE_DATE, STATUS_CODE, INACTIVE, BILL_EMPL_UNO, RESP_EMPL_UNO, OFFC, DEPT, MATT_TYPE_CODE) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBM_CLIENT (CLIENT_UNO, CLIENT_CODE, CLIENT_NAME, NAME_UNO) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBL_STATUS_MATT (STATUS_CODE, STATUS_DESC) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBL_MATT_TYPE (MATT_TYPE_CODE, MATT_TYPE_DESC) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBL_OFFICE (OFFC_CODE, OFFC_DESC) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBL_DEPT (DEPT_CODE, DEPT_DESC) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBM_PERSNL (EMPL_UNO, EMPLOYEE_CODE, EMPLOYEE_NAME) TO [$(AgentLogin)];

-- Names, addresses and contact details of clients and parties
GRANT SELECT ON dbo.HBM_NAME (NAME_UNO, NAME, NAME_SORT, NAME_TYPE, FIRST_NAME, MIDDLE_NAME, LAST_NAME, ADDRESS_UNO) TO [$(AgentLogin)];
GRANT SELECT ON dbo.HBM_ADDRESS (ADDRESS_UNO, ADDRESS1, CITY, STATE_CODE, POST_CODE, COUNTRY_CODE, EMAIL, PHONE) TO [$(AgentLogin)];

-- The firm-defined matter-to-party link and its role lookup
GRANT SELECT ON dbo._HBM_MATTER_PARTY (MATTER_UNO, NAME_UNO, PARTY_ROLE_CODE) TO [$(AgentLogin)];
GRANT SELECT ON dbo._HBL_PARTY_ROLE (ROLE_CODE, ROLE_DESC) TO [$(AgentLogin)];
GO
