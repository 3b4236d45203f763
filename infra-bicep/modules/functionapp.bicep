// The function app. Flex Consumption (FC1) is chosen because it runs the .NET isolated worker on Linux
// ('dotnet-isolated' 10.0 runtime), scales per function to zero and out to many instances in a surge, and deploys
// from a blob container with identity-based access. Elastic Premium would also work, at a standing cost.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param blobEndpoint string
param tableEndpoint string
param deploymentContainerName string
param insightsConnectionString string
param keyVaultName string
param adminKeySecretName string
param webhookSecretName string
param tokenKeySecretName string
param contactHashKeySecretName string
param smsAccessKeySecretName string
param smsEndpoint string
param smsFrom string
param notificationsSchedule string
param heartbeatSchedule string
param reminderSchedule string
param expirySchedule string
param maximumInstanceCount int
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// SMS settings only when an SMS provider is given.
var smsSettings = empty(smsEndpoint) ? {} : {
  Sms__Endpoint: smsEndpoint
  Sms__From: smsFrom
  Sms__AccessKey: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${smsAccessKeySecretName})'
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(smsSettings, {
    // The Functions host's own storage: identity-based, no connection string.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: blobEndpoint
    AzureWebJobsStorage__tableServiceUri: tableEndpoint
    APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // The app's storage: endpoints + the same identity (see StorageOptions).
    Storage__BlobServiceUri: blobEndpoint
    Storage__TableServiceUri: tableEndpoint
    Storage__ClientId: identityClientId
    PublicPages__BaseUrl: 'https://${app.properties.defaultHostName}'
    HEARTBEAT_SCHEDULE: heartbeatSchedule
    REMINDER_SCHEDULE: reminderSchedule
    EXPIRY_SCHEDULE: expirySchedule
    NOTIFICATIONS_SCHEDULE: notificationsSchedule
    // Azure's front end appends the client's address to X-Forwarded-For: the one entry the app believes.
    RateLimits__TrustedForwarders: '1'
    Access__ApiKeys__0__Name: 'admin'
    Access__ApiKeys__0__Role: 'admin'
    Access__ApiKeys__0__Sha256: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${adminKeySecretName})'
    Webhooks__SigningSecret: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${webhookSecretName})'
    Tokens__SigningKeys__0__Id: 'k1'
    Tokens__SigningKeys__0__Secret: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${tokenKeySecretName})'
    Subscriptions__ContactHashKey: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${contactHashKeySecretName})'
  })
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
