<#
.SYNOPSIS
    Installs (or upgrades) the PMS Sync agent as a Windows service beside SQL Server.

.DESCRIPTION
    1. Creates a Python virtual environment in -InstallDir and installs the agent's wheel into it
       with the SQL Server driver (pip install "pms_sync-*.whl[mssql]").
    2. Writes the service configuration: WinSW's XML file, holding the agent's environment
       (database URL, API keys, metrics token, log directory, relay settings).
    3. Registers the service with WinSW, runs it as NT AUTHORITY\LocalService,
       and starts it.
    Run again with a newer wheel to upgrade: the service is stopped, re-registered and started.

    The service wrapper is WinSW (MIT licence, https://github.com/winsw/winsw): download
    WinSW-x64.exe (2.x) from its GitHub releases and pass its path as -WinSWExe. WinSW finds its
    configuration as an .xml file named like the renamed executable, beside it, and is driven with
    "<exe> install | start | stop | uninstall" (WinSW "Installation guide":
    https://github.com/kohsuke/winsw/blob/master/doc/installation.md; XML elements per
    https://github.com/winsw/winsw/blob/v3/docs/xml-config-file.md).

.EXAMPLE
    .\install-agent.ps1 -Wheel .\pms_sync-0.1.0-py3-none-any.whl -WinSWExe .\WinSW-x64.exe `
        -DatabaseUrl 'mssql+pymssql://pms_sync_agent:PASSWORD@sqlhost:1433/AderantExpert' `
        -ApiKeys 'key-1' -MetricsToken 'scrape-token'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Wheel,
    [Parameter(Mandatory)] [string] $WinSWExe,
    [Parameter(Mandatory)] [string] $DatabaseUrl,
    [Parameter(Mandatory)] [string] $ApiKeys,
    [string] $MetricsToken = '',
    [string] $MappingPath = '',
    [string] $ListenHost = '0.0.0.0',
    [int] $Port = 4102,
    [string] $RelayUrl = '',
    [string] $RelayKeyName = '',
    [string] $RelayKey = '',
    [string] $Python = 'py',
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'PMS Sync Agent'),
    [string] $LogDir = (Join-Path $env:ProgramData 'PMS Sync Agent\logs'),
    [string] $ServiceName = 'PmsSyncAgent'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$principal = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script from an elevated PowerShell (Run as administrator).'
}
if ($RelayUrl -and -not ($RelayKeyName -and $RelayKey)) {
    throw '-RelayUrl needs -RelayKeyName and -RelayKey (a rule with the Listen right).'
}

# Well-known SIDs, so the script works on every Windows language:
# S-1-5-32-544 Administrators, S-1-5-18 LocalSystem, S-1-5-19 LocalService.
$Administrators, $System, $LocalService = '*S-1-5-32-544', '*S-1-5-18', '*S-1-5-19'

function Invoke-Checked([string] $What, [scriptblock] $Command) {
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

$serviceExe = Join-Path $InstallDir "$ServiceName.exe"
$serviceXml = Join-Path $InstallDir "$ServiceName.xml"

# An existing service is an upgrade: stop it and register it afresh with the new configuration.
$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing) {
    Write-Host "Stopping and unregistering the existing $ServiceName service"
    if ($existing.Status -ne 'Stopped') { Stop-Service -Name $ServiceName }
    Invoke-Checked 'Unregistering the service' { & $serviceExe uninstall }
}

New-Item -ItemType Directory -Force -Path $InstallDir, $LogDir | Out-Null

# The configuration holds secrets: only administrators and SYSTEM may change the install
# directory, LocalService (the service's account) may read it. The log directory is written
# by the service. icacls: https://learn.microsoft.com/windows-server/administration/windows-commands/icacls
Invoke-Checked 'Restricting the install directory' {
    icacls $InstallDir /inheritance:r /grant:r "${Administrators}:(OI)(CI)F" "${System}:(OI)(CI)F" "${LocalService}:(OI)(CI)RX"
}
Invoke-Checked 'Opening the log directory to the service' {
    icacls $LogDir /grant "${LocalService}:(OI)(CI)M"
}

# The virtual environment (https://docs.python.org/3/library/venv.html). Python must be installed
# for all users (e.g. under Program Files), or LocalService cannot run it.
$venv = Join-Path $InstallDir 'venv'
if (-not (Test-Path (Join-Path $venv 'Scripts\python.exe'))) {
    Write-Host "Creating the virtual environment in $venv"
    if ($Python -eq 'py') {
        Invoke-Checked 'Creating the virtual environment' { & py -3 -m venv $venv }
    } else {
        Invoke-Checked 'Creating the virtual environment' { & $Python -m venv $venv }
    }
}
$venvPython = Join-Path $venv 'Scripts\python.exe'
$wheelPath = (Resolve-Path $Wheel).Path
Write-Host "Installing $wheelPath"
Invoke-Checked 'Installing the agent' { & $venvPython -m pip install --upgrade "$wheelPath[mssql]" }

Copy-Item -Force $WinSWExe $serviceExe

function EnvElement([string] $Name, [string] $Value) {
    if (-not $Value) { return '' }
    $escaped = [Security.SecurityElement]::Escape($Value)
    return "  <env name=`"$Name`" value=`"$escaped`"/>`r`n"
}

$arguments = if ($RelayUrl) { "--relay $RelayUrl" } else { "--host $ListenHost --port $Port" }
$environment = (EnvElement 'PMS_AGENT_DATABASE_URL' $DatabaseUrl) + (EnvElement 'PMS_AGENT_API_KEYS' $ApiKeys) +
    (EnvElement 'PMS_AGENT_METRICS_TOKEN' $MetricsToken) + (EnvElement 'PMS_AGENT_MAPPING' $MappingPath) +
    (EnvElement 'PMS_AGENT_LOG_DIR' $LogDir) + (EnvElement 'PMS_AGENT_RELAY_KEY_NAME' $RelayKeyName) +
    (EnvElement 'PMS_AGENT_RELAY_KEY' $RelayKey)
$executable = [Security.SecurityElement]::Escape((Join-Path $venv 'Scripts\pms-sync-agent.exe'))
$wrapperLogs = [Security.SecurityElement]::Escape($LogDir)

# The agent writes its own rotating log (pms-sync-agent.log) in $LogDir; WinSW keeps what the
# process prints before its logging starts (a configuration error) in $ServiceName.err.log there.
@"
<service>
  <id>$ServiceName</id>
  <name>PMS Sync Agent</name>
  <description>Read-only HTTP agent that answers PMS Sync from the Aderant Expert database.</description>
  <executable>$executable</executable>
  <arguments>$([Security.SecurityElement]::Escape($arguments))</arguments>
$environment  <startmode>Automatic</startmode>
  <onfailure action="restart" delay="10 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="60 sec"/>
  <stoptimeout>15 sec</stoptimeout>
  <logpath>$wrapperLogs</logpath>
  <log mode="roll-by-size">
    <sizeThreshold>10240</sizeThreshold>
    <keepFiles>5</keepFiles>
  </log>
</service>
"@ | Set-Content -Path $serviceXml -Encoding UTF8

Write-Host "Registering the $ServiceName service"
Invoke-Checked 'Registering the service' { & $serviceExe install }
# Run as LocalService, not LocalSystem: the agent needs no local rights, and SQL Server is reached
# with the SQL login in the database URL. Win32_Service.Change (StartName, StartPassword; the
# password of a built-in account is empty):
# https://learn.microsoft.com/windows/win32/cimwin32prov/change-method-in-class-win32-service
$change = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'" |
    Invoke-CimMethod -MethodName Change -Arguments @{ StartName = 'NT AUTHORITY\LocalService'; StartPassword = '' }
if ($change.ReturnValue -ne 0) { throw "Setting the service account failed (Win32_Service.Change returned $($change.ReturnValue))" }
Invoke-Checked 'Starting the service' { & $serviceExe start }

Write-Host "$ServiceName is running. Logs: $LogDir"
if (-not $RelayUrl) {
    Write-Host "Liveness: http://localhost:$Port/healthz"
}
