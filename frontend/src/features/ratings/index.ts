/** Ratings and reviews: a customer rates a completed booking; providers read theirs; admins hide comments. */
export { RatingPanel } from './RatingPanel';
export { ReviewList } from './ReviewList';
export { ratingSummary, Stars } from './Stars';
