<#
.SYNOPSIS
    Stops and removes the PMS Sync agent's Windows service and its install directory.

.DESCRIPTION
    Uses the WinSW wrapper the install script left in -InstallDir (Stop-Service, then "<exe> uninstall":
    https://github.com/kohsuke/winsw/blob/master/doc/installation.md); when the wrapper is gone,
    falls back to sc.exe delete
    (https://learn.microsoft.com/windows-server/administration/windows-commands/sc-delete).
    Logs are kept unless -RemoveLogs is given. The SQL login is not touched: drop it with
    DROP USER / DROP LOGIN (agent/README.md, "Running on Windows Server").
#>
[CmdletBinding()]
param(
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'PMS Sync Agent'),
    [string] $LogDir = (Join-Path $env:ProgramData 'PMS Sync Agent\logs'),
    [string] $ServiceName = 'PmsSyncAgent',
    [switch] $RemoveLogs
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$principal = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script from an elevated PowerShell (Run as administrator).'
}

$serviceExe = Join-Path $InstallDir "$ServiceName.exe"
$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing) {
    if ($existing.Status -ne 'Stopped') { Stop-Service -Name $ServiceName }
    if (Test-Path $serviceExe) {
        & $serviceExe uninstall
    } else {
        sc.exe delete $ServiceName
    }
    if ($LASTEXITCODE -ne 0) { throw "Removing the $ServiceName service failed (exit code $LASTEXITCODE)" }
    Write-Host "Removed the $ServiceName service"
} else {
    Write-Host "No $ServiceName service is registered"
}

if (Test-Path $InstallDir) {
    Remove-Item -Recurse -Force $InstallDir
    Write-Host "Removed $InstallDir (the virtual environment and the configuration with its secrets)"
}
if ($RemoveLogs -and (Test-Path $LogDir)) {
    Remove-Item -Recurse -Force $LogDir
    Write-Host "Removed $LogDir"
} elseif (Test-Path $LogDir) {
    Write-Host "Logs kept in $LogDir (run with -RemoveLogs to delete them)"
}
