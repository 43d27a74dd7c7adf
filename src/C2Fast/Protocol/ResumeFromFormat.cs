namespace C2Fast.Protocol;

/// <summary>How <c>resume_from</c> is written in a <c>subscription.request</c>. (Contract.md §4, a choice where the vendor is silent).</summary>
/// <remarks>
/// The vendor documents the field as a string but its example sends a number. C2Fast sends a
/// decimal string by default; switch to <see cref="Number"/> if a real capture shows the server wants one.
/// </remarks>
internal enum ResumeFromFormat : byte
{
    /// <summary><c>"resume_from":"98765"</c> — the default.</summary>
    String,

    /// <summary><c>"resume_from":98765</c>.</summary>
    Number,
}
