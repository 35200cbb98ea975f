# Runs one Exchange Online cmdlet for the tenant layer (providers/tenant/powershell.ts), for the cmdlets
# the admin REST API cannot run (a PSCredential parameter: New-MigrationEndpoint -Credentials).
# Input on stdin, one JSON document: cmdlet, parameters, credentialParameters, accessToken, organization,
# environment. Secrets and the token arrive on stdin so they never appear on a command line.
# Output on stdout, one JSON line: {"ok":true,"value":[...],"warnings":[...]} or {"ok":false,"error":{...}}.
# Exit code: 0 ok, 1 the cmdlet failed, 2 malformed request or could not connect.

$ErrorActionPreference = 'Stop'
$result = $null
$code = 2

function Get-ErrorRecordResult($record) {
    @{ ok = $false; error = @{ type = $record.Exception.GetType().FullName; message = $record.Exception.Message } }
}

try {
    $request = [Console]::In.ReadToEnd() | ConvertFrom-Json -AsHashtable
    foreach ($field in 'cmdlet', 'accessToken', 'organization') {
        if (-not $request[$field]) { throw "The request has no '$field'." }
    }
} catch {
    $request = $null
    $result = @{ ok = $false; error = @{ type = 'MalformedRequest'; message = $_.Exception.Message } }
}

$connected = $false
if ($request) {
    try {
        Import-Module ExchangeOnlineManagement -ErrorAction Stop
        $connect = @{ AccessToken = $request.accessToken; Organization = $request.organization; ShowBanner = $false }
        switch ($request.environment.name) {
            'gcchigh' { $connect.ExchangeEnvironmentName = 'O365USGovGCCHigh' }
            'dod' { $connect.ExchangeEnvironmentName = 'O365USGovDoD' }
        }
        Connect-ExchangeOnline @connect -ErrorAction Stop | Out-Null
        $connected = $true
    } catch {
        $result = Get-ErrorRecordResult $_
    }
}

if ($connected) {
    try {
        $parameters = @{}
        if ($request.parameters) {
            foreach ($name in $request.parameters.Keys) { $parameters[$name] = $request.parameters[$name] }
        }
        if ($request.credentialParameters) {
            foreach ($name in $request.credentialParameters.Keys) {
                $given = $request.credentialParameters[$name]
                $password = ConvertTo-SecureString -String $given.password -AsPlainText -Force
                $parameters[$name] = New-Object System.Management.Automation.PSCredential ($given.userName, $password)
            }
        }
        $warnings = @()
        # @() around the call, not the variable: a cmdlet with no output then gives [], not [null].
        $output = @(& $request.cmdlet @parameters -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable warnings)
        $result = @{ ok = $true; value = $output; warnings = @($warnings | ForEach-Object { "$_" }) }
        $code = 0
    } catch {
        $result = Get-ErrorRecordResult $_
        $code = 1
    } finally {
        Disconnect-ExchangeOnline -Confirm:$false -ErrorAction SilentlyContinue | Out-Null
    }
}

[Console]::Out.WriteLine(($result | ConvertTo-Json -Depth 10 -Compress))
exit $code
