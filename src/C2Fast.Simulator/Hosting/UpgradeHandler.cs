using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace C2Fast.Simulator.Hosting;

/// <summary>
/// The HTTP side of the endpoint: checks the upgrade request, rejects it as the vendor documents (plain HTTP with a
/// JSON body and <c>X-WS-Error</c>), or performs the RFC 6455 upgrade itself through <see cref="IHttpUpgradeFeature"/>
/// and hands the raw stream to a <see cref="C2SimulatorConnection"/>.
/// </summary>
/// <remarks>
/// Order of checks: path (404), WebSocket headers (426/400), server stopping (503), forced rejections (fault switch),
/// API key (401), global limit (503), per-key limit (429 or the 1008 race). No subprotocol and no extension is ever selected.
/// </remarks>
internal sealed class UpgradeHandler(SimulatorCore core, CancellationToken shutdown)
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!string.Equals(request.Path.Value, core.Options.Path, StringComparison.Ordinal))
        {
            await RejectAsync(context, StatusCodes.Status404NotFound, "NOT_FOUND", "Not found", "Not found").ConfigureAwait(false);
            return;
        }

        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is null || !upgrade.IsUpgradableRequest || !HttpMethods.IsGet(request.Method)
            || !request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.Upgrade = "websocket";
            await RejectAsync(context, StatusCodes.Status426UpgradeRequired, "UPGRADE_REQUIRED", "WebSocket upgrade required", "Upgrade required").ConfigureAwait(false);
            return;
        }

        // RFC 6455 §4.4: an unsupported version gets 426 with the versions we speak.
        if (request.Headers.SecWebSocketVersion.ToString() != "13")
        {
            context.Response.Headers.SecWebSocketVersion = "13";
            await RejectAsync(context, StatusCodes.Status426UpgradeRequired, "UPGRADE_REQUIRED", "Sec-WebSocket-Version 13 required", "Unsupported version").ConfigureAwait(false);
            return;
        }

        // §4.2.1: the key is base64 of 16 bytes.
        var key = request.Headers.SecWebSocketKey.ToString();
        Span<byte> decoded = stackalloc byte[24];
        if (!Convert.TryFromBase64String(key, decoded, out var keyLength) || keyLength != 16)
        {
            await RejectAsync(context, StatusCodes.Status400BadRequest, "BAD_REQUEST", "Invalid Sec-WebSocket-Key", "Bad request").ConfigureAwait(false);
            return;
        }

        // The server is stopping: no new WebSocket only to close it with 1001 at once.
        if (shutdown.IsCancellationRequested)
        {
            await RejectLimitAsync(context, 503, forcedByFault: true).ConfigureAwait(false);
            return;
        }

        if (core.TakeForcedRejection() is { } forced)
        {
            await RejectLimitAsync(context, forced, forcedByFault: true).ConfigureAwait(false);
            return;
        }

        if (!TryGetApiKey(request, out var apiKey) || !core.IsValidKey(apiKey))
        {
            core.Stats.Increment(ref core.Stats.Rejected401);
            await RejectAsync(context, StatusCodes.Status401Unauthorized, core.Options.ErrorCodes.Unauthorized, "Invalid API key", "Invalid API key").ConfigureAwait(false);
            return;
        }

        var limit = core.TryAcquire(apiKey);
        if (limit == LimitResult.GlobalFull
            || (limit == LimitResult.KeyFull && core.Options.ConnectionLimitBehavior == C2ConnectionLimitBehavior.Reject429))
        {
            await RejectLimitAsync(context, limit == LimitResult.GlobalFull ? 503 : 429, forcedByFault: false).ConfigureAwait(false);
            return;
        }

        var race = limit == LimitResult.KeyFull;
        try
        {
            var headers = context.Response.Headers;
            headers.Connection = "Upgrade";
            headers.Upgrade = "websocket";
            headers.SecWebSocketAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
            var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            core.Stats.Increment(ref core.Stats.ConnectionsAccepted);
            if (race)
            {
                core.Stats.Increment(ref core.Stats.RaceClosed);
            }

            var connection = new C2SimulatorConnection(core, context, stream);
            await connection.RunAsync(race, shutdown).ConfigureAwait(false);
        }
        finally
        {
            if (!race)
            {
                core.Release(apiKey);
            }
        }
    }

    private static bool TryGetApiKey(HttpRequest request, out string apiKey)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (header.Length > Scheme.Length && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            apiKey = header[Scheme.Length..].Trim();
            return apiKey.Length > 0;
        }

        apiKey = "";
        return false;
    }

    private Task RejectLimitAsync(HttpContext context, int status, bool forcedByFault)
    {
        if (core.Options.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        if (status == 503)
        {
            core.Stats.Increment(ref core.Stats.Rejected503);
            return RejectAsync(context, 503, core.Options.ErrorCodes.ServiceUnavailable,
                forcedByFault ? "Service unavailable" : "Connection limit reached", "Connection limit reached");
        }

        core.Stats.Increment(ref core.Stats.Rejected429);
        return RejectAsync(context, 429, core.Options.ErrorCodes.RateLimited,
            forcedByFault ? "Rate limit exceeded" : $"Connection limit of {core.Options.MaxConnectionsPerKey} per API key reached",
            "Too many connections");
    }

    private static async Task RejectAsync(HttpContext context, int status, string code, string message, string shortText)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers["X-WS-Error"] = shortText;
        response.ContentType = "application/json";
        var body = Encoding.UTF8.GetBytes($$"""{"code":"{{code}}","message":"{{message}}"}""");
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body).ConfigureAwait(false);
    }
}
