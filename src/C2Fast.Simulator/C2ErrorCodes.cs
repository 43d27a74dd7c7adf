namespace C2Fast.Simulator;

/// <summary>The <c>code</c> strings the simulator puts in <c>error</c> payloads and rejection bodies.</summary>
/// <remarks>
/// UNAUTHORIZED, FORBIDDEN, INVALID_PARAMETER and MANDATORY_PARAM_EMPTY_OR_MALFORMED appear in the vendor's guides;
/// which case gets which code, and the 429/503 body codes, are the project's [CHOICE]s (spec §8), kept here so a
/// capture of the real server can correct them.
/// </remarks>
public sealed record C2ErrorCodes
{
    /// <summary>401 body code. Default <c>UNAUTHORIZED</c> [DOC].</summary>
    public string Unauthorized { get; init; } = "UNAUTHORIZED";

    /// <summary>A strategy outside the allowed set (field <c>StrategyId</c>). Default <c>FORBIDDEN</c> [DOC].</summary>
    public string Forbidden { get; init; } = "FORBIDDEN";

    /// <summary>A field present but out of range (bad action, channel, strategy_id ≤ 0, long request_id, skewed timestamp). Default <c>INVALID_PARAMETER</c> [CHOICE].</summary>
    public string InvalidParameter { get; init; } = "INVALID_PARAMETER";

    /// <summary>A required field missing, empty or of the wrong type (also invalid JSON). Default <c>MANDATORY_PARAM_EMPTY_OR_MALFORMED</c> [CHOICE].</summary>
    public string Mandatory { get; init; } = "MANDATORY_PARAM_EMPTY_OR_MALFORMED";

    /// <summary>The subscription above the per-connection limit (field <c>Channel</c>). Default <c>INVALID_PARAMETER</c> [CHOICE].</summary>
    public string SubscriptionLimit { get; init; } = "INVALID_PARAMETER";

    /// <summary>429 body code. Default <c>RATE_LIMITED</c> [CHOICE].</summary>
    public string RateLimited { get; init; } = "RATE_LIMITED";

    /// <summary>503 body code. Default <c>SERVICE_UNAVAILABLE</c> [CHOICE].</summary>
    public string ServiceUnavailable { get; init; } = "SERVICE_UNAVAILABLE";
}

/// <summary>Which JSON forms of <c>resume_from</c> the simulator accepts.</summary>
public enum C2ResumeFromForms
{
    /// <summary>A decimal string (the documented type) or a number (the documented example) [CHOICE, default].</summary>
    StringOrNumber,

    /// <summary>Only a decimal string; a number gets MANDATORY_PARAM_EMPTY_OR_MALFORMED.</summary>
    StringOnly,

    /// <summary>Only a number; a string gets MANDATORY_PARAM_EMPTY_OR_MALFORMED.</summary>
    NumberOnly,
}
