/// The configuration's value types (`Secret`, `UpstreamSpec`, `RouteSpec`) are the providers'.
@_exported import Providers
