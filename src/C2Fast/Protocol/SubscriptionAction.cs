namespace C2Fast.Protocol;

/// <summary>The <c>action</c> of a <c>subscription.request</c> (Contract.md §4).</summary>
internal enum SubscriptionAction : byte
{
    /// <summary><c>subscribe</c>.</summary>
    Subscribe,

    /// <summary><c>unsubscribe</c>.</summary>
    Unsubscribe,
}
