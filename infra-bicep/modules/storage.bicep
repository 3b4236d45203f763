// The storage account: the app's tables and containers, the Functions host's state, and the deployment
// package container. Shared keys are disabled: every caller authenticates with Entra ID.
param name string
param location string
param tags object

@description('Tables the app uses (it also creates them on first use, as a safety net).')
param tableNames array = [
  'crises'
  'feedback'
  'timerruns'
  'stakeholders'
  'expectedupdates'
  'dueindex'
  'sotsubscribers'
  'outbox00'
  'outbox01'
  'outbox02'
  'outbox03'
  'outbox04'
  'outbox05'
  'outbox06'
  'outbox07'
  'outbox08'
  'outbox09'
  'outbox10'
  'outbox11'
  'outbox12'
  'outbox13'
  'outbox14'
  'outbox15'
  'touchpointoverrides'
  'subscribers'
  'cannedresponses'
  'triagecounts'
]

@description('Blob containers the app uses.')
param containerNames array = [
  'content'
  'pages'
  'source-of-truth'
  'touchpoints'
  'triage'
]

@description('Where Flex Consumption reads the deployment package from.')
param deploymentContainerName string = 'app-package'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_ZRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 14
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in union(containerNames, [deploymentContainerName]): {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainerName
