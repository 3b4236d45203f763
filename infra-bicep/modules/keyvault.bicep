// Key Vault for the app's secrets (RBAC authorisation, purge protection). The app reads them through
// Key Vault references in its app settings, with its user-assigned identity.
param name string
param location string
param tags object

@secure()
param adminKeySha256 string

@secure()
param webhookSigningSecret string

@secure()
param tokenSigningKey string

@secure()
param contactHashKey string

@description('Empty when SMS is not used: no secret is made.')
@secure()
param smsAccessKey string

var adminKeySecretName = 'admin-api-key-sha256'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource adminKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: adminKeySecretName
  properties: {
    value: adminKeySha256
    contentType: 'SHA-256 of the admin API key, hex'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'webhook-signing-secret'
  properties: {
    value: webhookSigningSecret
  }
}

resource tokenKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'token-signing-key'
  properties: {
    value: tokenSigningKey
  }
}

resource contactKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'contact-hash-key'
  properties: {
    value: contactHashKey
  }
}

resource smsKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smsAccessKey)) {
  parent: vault
  name: 'sms-access-key'
  properties: {
    value: smsAccessKey
  }
}

output name string = vault.name
output adminKeySecretName string = adminKey.name
output webhookSecretName string = webhookSecret.name
output tokenKeySecretName string = tokenKey.name
output contactHashKeySecretName string = contactKey.name
output smsAccessKeySecretName string = 'sms-access-key'
