namespace C2Fast;

/// <summary>How <c>resume_from</c> is written in a subscription request.</summary>
/// <remarks>The vendor documents a string but its example sends a number; the default follows the documentation.</remarks>
public enum C2ResumeFromFormat
{
    /// <summary><c>"resume_from":"98765"</c> (default).</summary>
    String = 0,

    /// <summary><c>"resume_from":98765</c>.</summary>
    Number,
}
