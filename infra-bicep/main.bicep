// Crisis.Functions in Azure: a Flex Consumption function app on the .NET isolated worker, identity-only
// storage, Key Vault for secrets, and Application Insights with Entra ID authentication.
targetScope = 'resourceGroup'

@description('Short environment name (e.g. prod, test); part of every resource name.')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Azure region; Flex Consumption must be offered there (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('SHA-256 (64 hex digits) of the first admin API key. Compute it with the app\'s hash-key command; the key itself never leaves the admin.')
@secure()
param adminKeySha256 string

@description('Standard Webhooks signing secret for outgoing webhooks: "whsec_" + base64 of 32 random bytes.')
@secure()
param webhookSigningSecret string

@description('Key for signed links in messages: base64 of 32 random bytes.')
@secure()
param tokenSigningKey string

@description('Key of the keyed hash that finds subscribers by contact: base64 of 32 random bytes. Never rotate it casually: existing subscriptions are found by it.')
@secure()
param contactHashKey string

@description('Azure Communication Services endpoint for SMS (https://<name>.communication.azure.com); empty disables SMS.')
param smsEndpoint string = ''

@description('Sending number (E.164) or sender id for SMS.')
param smsFrom string = ''

@description('Access key of the Communication Services resource; needed when smsEndpoint is set.')
@secure()
param smsAccessKey string = ''

@description('6-field NCRONTAB schedule of the Heartbeat timer.')
param heartbeatSchedule string = '0 */5 * * * *'

@description('6-field NCRONTAB schedule of the reminder timer.')
param reminderSchedule string = '0 * * * * *'

@description('6-field NCRONTAB schedule of the expiry timer (restores touchpoints of ended crises).')
param expirySchedule string = '0 */5 * * * *'

@description('6-field NCRONTAB schedule of the notifications timer (queues subscribers of published updates, sends the outbox).')
param notificationsSchedule string = '*/30 * * * * *'

@description('Upper bound of Flex Consumption instances during a surge.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

param tags object = {}

var suffix = uniqueString(subscription().id, resourceGroup().id, environmentName)
var allTags = union(tags, { application: 'crisis-functions', environment: environmentName })

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-crisis-${environmentName}-${suffix}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-crisis-${environmentName}-${suffix}'
    insightsName: 'appi-crisis-${environmentName}-${suffix}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('stcrisis${environmentName}${suffix}', 24)
    location: location
    tags: allTags
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: take('kv-crisis-${environmentName}-${suffix}', 24)
    location: location
    tags: allTags
    adminKeySha256: adminKeySha256
    webhookSigningSecret: webhookSigningSecret
    tokenSigningKey: tokenSigningKey
    contactHashKey: contactHashKey
    smsAccessKey: smsAccessKey
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    insightsName: monitoring.outputs.insightsName
  }
}

module app 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: 'asp-crisis-${environmentName}-${suffix}'
    appName: 'func-crisis-${environmentName}-${suffix}'
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    insightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: vault.outputs.name
    adminKeySecretName: vault.outputs.adminKeySecretName
    webhookSecretName: vault.outputs.webhookSecretName
    tokenKeySecretName: vault.outputs.tokenKeySecretName
    contactHashKeySecretName: vault.outputs.contactHashKeySecretName
    smsAccessKeySecretName: vault.outputs.smsAccessKeySecretName
    smsEndpoint: smsEndpoint
    smsFrom: smsFrom
    notificationsSchedule: notificationsSchedule
    heartbeatSchedule: heartbeatSchedule
    reminderSchedule: reminderSchedule
    expirySchedule: expirySchedule
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  dependsOn: [
    rbac
  ]
}

output appName string = app.outputs.name
output appUrl string = app.outputs.url
output healthUrl string = '${app.outputs.url}/api/health'
output keyVaultName string = vault.outputs.name
output storageAccountName string = storage.outputs.name
