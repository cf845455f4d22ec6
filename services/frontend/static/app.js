// The page: log in, show the feed, Like and Share.
const page = {
  user: null,
  shareEnabled: true,
};

async function api(path, options) {
  const response = await fetch(path, {
    headers: { 'Content-Type': 'application/json' },
    ...options,
  });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function showStatus(text) {
  document.getElementById('share-status').textContent = text;
}

function setBusy(busy) {
  // Nothing else may happen until the share is confirmed.
  document.getElementById('overlay').hidden = !busy;
}

function onShare(post) {
  setBusy(true);
  showStatus('');
  SocialShare.share(post.id, function (result) {
    setBusy(false);
    showStatus(`Shared! ${result.share.url}`);
  });
}

async function onLike(post, counter) {
  try {
    const result = await api(`/api/posts/${post.id}/like`, { method: 'POST' });
    counter.textContent = String(result.likes);
  } catch (error) {
    showStatus(`Could not like this post: ${error.message}`);
  }
}

function renderPost(post) {
  const item = document.createElement('li');
  item.className = 'post';
  item.dataset.postId = String(post.id);
  const text = document.createElement('p');
  text.textContent = `@${post.author}: ${post.text}`;
  const counter = document.createElement('span');
  counter.className = 'likes';
  counter.textContent = String(post.likes);
  const like = document.createElement('button');
  like.className = 'like';
  like.textContent = '♥ Like';
  like.addEventListener('click', () => onLike(post, counter));
  item.append(text, like, counter);
  if (page.shareEnabled) {
    const share = document.createElement('button');
    share.className = 'share';
    share.textContent = 'Share';
    share.addEventListener('click', () => onShare(post));
    item.append(share);
  }
  return item;
}

async function showFeed() {
  const [config, feed] = await Promise.all([api('/api/config'), api('/api/feed')]);
  page.shareEnabled = config.share;
  document.getElementById('feed').replaceChildren(...feed.posts.map(renderPost));
  document.getElementById('feed-view').hidden = false;
}

document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = document.getElementById('username').value;
  try {
    page.user = await api('/api/login', { method: 'POST', body: JSON.stringify({ name }) });
    document.getElementById('whoami').textContent = `Hello, ${page.user.name}`;
    document.getElementById('login-form').hidden = true;
    await showFeed();
  } catch (error) {
    showStatus(`Could not log in: ${error.message}`);
  }
});
