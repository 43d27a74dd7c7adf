namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>Which way bytes flow through a <see cref="TcpFaultProxy"/>: a set of directions.</summary>
[Flags]
public enum ProxyDirection
{
    /// <summary>Neither direction.</summary>
    None = 0,

    /// <summary>Client to server.</summary>
    Upstream = 1,

    /// <summary>Server to client.</summary>
    Downstream = 2,

    /// <summary>Both directions.</summary>
    Both = Upstream | Downstream,
}
