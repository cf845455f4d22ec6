// The social sharing integration (socialshare.example's widget client, v1.4): posts the share
// through our API and calls back with the confirmed share.
window.SocialShare = {
  share: function (postId, onShared) {
    const request = new XMLHttpRequest();
    request.open('POST', '/api/share');
    request.setRequestHeader('Content-Type', 'application/json');
    request.onload = function () {
      onShared(JSON.parse(request.responseText));
    };
    request.send(JSON.stringify({ post_id: postId }));
  },
};
