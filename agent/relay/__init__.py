"""The agent as an Azure Relay hybrid connection listener (HTTP over hybrid connections).

Wire shapes follow Microsoft's "Azure Relay Hybrid Connections protocol" article
(MicrosoftDocs/azure-docs `articles/azure-relay/relay-hybrid-connections-protocol.md`) and
Microsoft's reference listener, the npm package hyco-https (Azure/azure-relay-node
`hyco-https/lib/HybridConnectionHttpsServer.js`, `_hyco_outgoing.js`).
"""
